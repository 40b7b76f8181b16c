//! Actor ids: one per device and user, so every change says who made it and where.

use automerge::ActorId;

/// Bytes of the device id at the start of an actor id.
const DEVICE_BYTES: usize = 16;
/// Bytes of the user id's hash after it.
const USER_BYTES: usize = 8;

/// The actor id a user writes with on a device: the device's 16 random bytes
/// followed by 8 bytes of the user id's BLAKE3 hash.
pub(crate) fn actor_for(device_id: &[u8; DEVICE_BYTES], user_id: &str) -> ActorId {
    let mut bytes = Vec::with_capacity(DEVICE_BYTES + USER_BYTES);
    bytes.extend_from_slice(device_id);
    bytes.extend_from_slice(&blake3::hash(user_id.as_bytes()).as_bytes()[..USER_BYTES]);
    ActorId::from(bytes)
}

/// The device part of an actor id, as hex, if the actor follows our layout.
pub(crate) fn device_of(actor: &ActorId) -> Option<String> {
    let bytes = actor.to_bytes();
    (bytes.len() == DEVICE_BYTES + USER_BYTES).then(|| hex::encode(&bytes[..DEVICE_BYTES]))
}

/// Whether `actor` is an actor id of ours written for `user_id` (on any device).
pub(crate) fn is_actor_of(actor: &ActorId, user_id: &str) -> bool {
    let bytes = actor.to_bytes();
    bytes.len() == DEVICE_BYTES + USER_BYTES
        && bytes[DEVICE_BYTES..] == blake3::hash(user_id.as_bytes()).as_bytes()[..USER_BYTES]
}

/// The commit message that carries the author's user id with every change.
pub(crate) fn commit_message(user_id: &str) -> String {
    format!("by:{user_id}")
}

/// The author's user id from a commit message written by [`commit_message`].
pub(crate) fn author_of(message: Option<&str>) -> Option<String> {
    message?.strip_prefix("by:").map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_differ_per_device_and_user() {
        let d1 = [1u8; 16];
        let d2 = [2u8; 16];
        assert_ne!(actor_for(&d1, "u1"), actor_for(&d1, "u2"));
        assert_ne!(actor_for(&d1, "u1"), actor_for(&d2, "u1"));
        assert_eq!(actor_for(&d1, "u1"), actor_for(&d1, "u1"));
        assert_eq!(device_of(&actor_for(&d1, "u1")), Some(hex::encode(d1)));
        assert_eq!(
            author_of(Some(&commit_message("w-17"))).as_deref(),
            Some("w-17")
        );
        assert_eq!(author_of(Some("other")), None);
    }
}
