//! The step form of the incident page: every step a supervisor, a unit's handler
//! or a caller may take (dispatch with a lead, joint units and a supervising
//! unit; a joint part's steps; urging; the follow-up call), read into one
//! transition. The replay decides whether it applies, as on the phones.

use fieldgrid_core::incident::{Action, WorkflowState};
use fieldgrid_core::org::OrgTree;
use fieldgrid_core::records::{IncidentTransition, JointPart, Satisfaction, Urge, UrgeMethod};
use maud::{Markup, html};
use serde::Deserialize;

use super::PageError;
use super::incidents::unit_name;
use super::page::select;

/// A form with no fields besides the CSRF token.
#[derive(Deserialize, Default)]
pub struct Nothing {}

/// Joint units the form offers at once.
pub const JOINT_SLOTS: usize = 3;

/// The step form's fields. Every field but `to` may be empty.
#[derive(Deserialize, Default)]
pub struct StepForm {
    pub(crate) to: String,
    #[serde(default)]
    pub(crate) note: String,
    #[serde(default)]
    pub(crate) assignee: String,
    #[serde(default)]
    joint1: String,
    #[serde(default)]
    joint1_task: String,
    #[serde(default)]
    joint1_due: String,
    #[serde(default)]
    joint2: String,
    #[serde(default)]
    joint2_task: String,
    #[serde(default)]
    joint2_due: String,
    #[serde(default)]
    joint3: String,
    #[serde(default)]
    joint3_task: String,
    #[serde(default)]
    joint3_due: String,
    #[serde(default)]
    supervisor: String,
    #[serde(default)]
    part: String,
    #[serde(default)]
    urge_unit: String,
    #[serde(default)]
    urge_method: String,
    #[serde(default)]
    promised: String,
    #[serde(default)]
    answer: String,
}

/// The end of a `YYYY-MM-DD` day in China time, or a 400 naming the field.
fn day_end(field: &str, text: &str) -> Result<Option<i64>, PageError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    fieldgrid_core::time::day_start(text.trim())
        .map(|s| Some(s + 86_399))
        .ok_or_else(|| PageError::bad(format!("参数 {field} 不是 YYYY-MM-DD 格式的日期")))
}

/// A unit code the org tree knows, or a 400 naming the field.
fn known_unit(tree: &OrgTree, field: &str, code: &str) -> Result<Option<String>, PageError> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    if tree.work_unit(code).is_none() {
        return Err(PageError::bad(format!("参数 {field} 的值无效")));
    }
    Ok(Some(code.to_owned()))
}

impl StepForm {
    /// The transition this form asks for (without who, when and from), each
    /// field checked against what it may be; only the fields the action uses are
    /// kept.
    pub fn transition(&self, tree: &OrgTree) -> Result<(Action, IncidentTransition), PageError> {
        let action = Action::parse(&self.to).ok_or_else(|| PageError::bad("参数 to 的值无效"))?;
        let mut t = IncidentTransition {
            to: action.as_str().to_owned(),
            note: self.note.clone(),
            ..IncidentTransition::default()
        };
        let assignee = known_unit(tree, "assignee", &self.assignee)?;
        let supervisor = known_unit(tree, "supervisor", &self.supervisor)?;
        let part = known_unit(tree, "part", &self.part)?;
        let urge_unit = known_unit(tree, "urge_unit", &self.urge_unit)?;
        let slots = [
            ("joint1", &self.joint1, &self.joint1_task, &self.joint1_due),
            ("joint2", &self.joint2, &self.joint2_task, &self.joint2_due),
            ("joint3", &self.joint3, &self.joint3_task, &self.joint3_due),
        ];
        let mut parts = Vec::new();
        for (field, unit, task, due) in slots {
            // Every field is checked, filled in or not alongside its unit.
            let due = day_end(&format!("{field}_due"), due)?;
            if let Some(unit) = known_unit(tree, field, unit)? {
                parts.push(JointPart {
                    unit,
                    task: task.trim().to_owned(),
                    due,
                });
            }
        }
        let method = match self.urge_method.as_str() {
            "" => None,
            m => Some(
                UrgeMethod::parse(m).ok_or_else(|| PageError::bad("参数 urge_method 的值无效"))?,
            ),
        };
        let promised = day_end("promised", &self.promised)?;
        let answer = match self.answer.as_str() {
            "" => None,
            a => {
                Some(Satisfaction::parse(a).ok_or_else(|| PageError::bad("参数 answer 的值无效"))?)
            }
        };
        match action {
            Action::Dispatch => {
                t.assignee = assignee;
                t.parts = parts;
                t.supervisor = supervisor;
            }
            a if a.is_part_step() => t.part = part,
            Action::Urge => {
                t.urge = urge_unit.map(|unit| Urge {
                    unit,
                    method: method.unwrap_or(UrgeMethod::Online),
                    promised,
                });
            }
            Action::Assess => t.answer = answer,
            _ => {}
        }
        Ok((action, t))
    }
}

/// The steps the form offers (the reporter's resolve-on-the-spot is the phone's).
fn step_options() -> Vec<(&'static str, &'static str)> {
    Action::ALL
        .into_iter()
        .filter(|a| *a != Action::ResolveOnSpot)
        .map(|a| (a.as_str(), a.name_zh()))
        .collect()
}

/// The step form for an incident in `state`: units to choose from (`units`, the
/// suggested one preselected as the lead), the case's parts and units for the
/// part and urge fields.
pub fn form(
    tree: &OrgTree,
    state: &WorkflowState,
    units: &[(&str, &str)],
    suggested: Option<&str>,
) -> Markup {
    let steps = step_options();
    let parts: Vec<(&str, &str)> = state
        .parts
        .iter()
        .map(|p| (p.unit.as_str(), unit_name(tree, &p.unit)))
        .collect();
    let urgeable: Vec<(&str, &str)> = state
        .assignee
        .iter()
        .map(|a| (a.as_str(), unit_name(tree, a)))
        .chain(parts.iter().copied())
        .collect();
    let methods: Vec<(&str, &str)> = UrgeMethod::ALL
        .iter()
        .map(|m| (m.as_str(), m.name_zh()))
        .collect();
    let answers: Vec<(&str, &str)> = Satisfaction::ALL
        .iter()
        .map(|a| (a.as_str(), a.name_zh()))
        .collect();
    html! {
        label { "操作 " (select("to", "step-to", None, &steps, None)) }
        fieldset #dispatch-fields data-for="dispatched" {
            legend { "派遣" }
            label { "主办单位 " (select("assignee", "step-assignee", Some("—"), units, suggested)) }
            @for n in 1..=JOINT_SLOTS {
                div.joint {
                    label { "联办单位" (n) " " (select(&format!("joint{n}"), &format!("step-joint{n}"), Some("—"), units, None)) }
                    label { "任务 " input name={ "joint" (n) "_task" } id={ "step-joint" (n) "-task" }; }
                    label { "期限 " input type="date" name={ "joint" (n) "_due" } id={ "step-joint" (n) "-due" }; }
                }
            }
            label { "督办单位 " (select("supervisor", "step-supervisor", Some("—"), units, None)) }
        }
        @if !parts.is_empty() {
            fieldset #part-fields data-for="part_handling part_handled part_returned part_redo part_released" {
                legend { "联办任务" }
                label { "单位 " (select("part", "step-part", None, &parts, None)) }
            }
        }
        @if !urgeable.is_empty() {
            fieldset #urge-fields data-for="urged" {
                legend { "催办" }
                label { "被催办单位 " (select("urge_unit", "step-urge-unit", None, &urgeable, None)) }
                label { "方式 " (select("urge_method", "step-urge-method", None, &methods, None)) }
                label { "承诺办结日期 " input type="date" name="promised" #step-promised; }
            }
        }
        fieldset #answer-fields data-for="assessed" {
            legend { "回访" }
            label { "群众评价 " (select("answer", "step-answer", Some("—"), &answers, None)) }
        }
        label { "说明 " input name="note" #step-note; }
        // Shows only the fields of the chosen step (a script file: the CSP allows
        // no inline script); without scripts every field stays visible.
        script src="/ui/assets/incident-steps.js" {}
    }
}
