//! Accounts as administrators on the pages manage them: an administrator may assign
//! a registration to, or revoke the device of, only a person whose whole area lies
//! inside the administrator's own.

use super::Caller;

/// Whether `staff` (an org-tree person) lies wholly inside the caller's area: a
/// person with no grids at all lies in nobody's.
pub fn assignable(caller: &Caller, staff: &str) -> bool {
    let theirs = caller.tree.scope_of(staff);
    !theirs.all.is_empty() && theirs.all.is_subset(&caller.scope.all)
}
