//! Incidents (事件): what grid workers report and the command centre drives to closure.

use serde::{Deserialize, Serialize};

use super::{GeoPoint, Record, RecordKind, Reference};

/// How urgent the reporter judged the incident.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Handle in the normal course.
    #[default]
    Normal,
    /// Needs attention today.
    Urgent,
    /// Danger to people or property now.
    Emergency,
}

/// One step of an incident's workflow, appended and never rewritten: the current
/// state is a replay of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentTransition {
    /// Who made the step (user id).
    pub by: String,
    /// The role they acted in.
    pub role: String,
    /// When, in unix seconds.
    pub at: i64,
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// A note, such as a reason for returning the incident.
    #[serde(default)]
    pub note: String,
    /// Who the incident is handed to, when the step assigns it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// A reported incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// The grid where it was found.
    pub grid_code: String,
    /// Category code from the catalogue (e.g. `dispute.neighbour`).
    pub category: String,
    /// What the reporter saw.
    pub description: String,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// Who reported it (user id).
    pub reporter_id: String,
    /// When, in unix seconds.
    pub reported_at: i64,
    /// How urgent.
    #[serde(default)]
    pub urgency: Urgency,
    /// The workflow so far.
    #[serde(default)]
    pub transitions: Vec<IncidentTransition>,
    /// The household or person record involved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident_id: Option<String>,
    /// What the follow-up call found (回访), set with the assessment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<Satisfaction>,
    /// Photos taken when reporting (content hashes; the files upload separately).
    /// Always present, so photos added on two phones both survive.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// The resident's answer in the follow-up call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意.
    Satisfied,
    /// 基本满意.
    Basic,
    /// 不满意.
    Unsatisfied,
}

impl Record for Incident {
    const KIND: RecordKind = RecordKind::Incident;

    fn grid_code(&self) -> &str {
        &self.grid_code
    }

    fn title(&self) -> String {
        let mut title: String = self.description.chars().take(40).collect();
        if self.description.chars().count() > 40 {
            title.push('…');
        }
        title
    }

    fn search_text(&self) -> String {
        format!("{} {} {}", self.description, self.category, self.grid_code)
    }

    fn references(&self) -> Vec<Reference> {
        self.resident_id
            .iter()
            .map(|r| Reference::Record(r.clone()))
            .chain(self.photos.iter().map(|h| Reference::Photo(h.clone())))
            .collect()
    }

    fn claims(&self) -> Vec<(String, String)> {
        std::iter::once(("reporter".to_owned(), self.reporter_id.clone()))
            .chain(self.transitions.iter().map(|t| {
                (
                    format!("step:{}:{}:{}:{}", t.at, t.role, t.from, t.to),
                    t.by.clone(),
                )
            }))
            .collect()
    }
}
