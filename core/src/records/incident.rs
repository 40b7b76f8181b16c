//! Incidents (事件): what grid workers report and the command centre drives to closure.

use serde::{Deserialize, Serialize};

use super::{GeoPoint, Record, RecordKind, Reference};

/// How serious a case is by default (分级): decides deadlines and, with routing,
/// which level handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 一般.
    Ordinary,
    /// 较大.
    Significant,
    /// 重大.
    Major,
}

impl Grade {
    /// Every grade, least serious first.
    pub const ALL: [Grade; 3] = [Grade::Ordinary, Grade::Significant, Grade::Major];

    /// The code (API and exports).
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Ordinary => "ordinary",
            Grade::Significant => "significant",
            Grade::Major => "major",
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            Grade::Ordinary => "一般",
            Grade::Significant => "较大",
            Grade::Major => "重大",
        }
    }

    /// A grade written by its Chinese name or its code.
    pub fn parse(text: &str) -> Option<Grade> {
        let text = text.trim();
        Grade::ALL
            .into_iter()
            .find(|g| g.name_zh() == text || g.as_str() == text)
    }
}

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

impl Urgency {
    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            Urgency::Normal => "一般",
            Urgency::Urgent => "紧急",
            Urgency::Emergency => "特急",
        }
    }

    /// The code (API and exports).
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
            Urgency::Emergency => "emergency",
        }
    }

    /// Reads a code.
    pub fn parse(code: &str) -> Option<Urgency> {
        [Urgency::Normal, Urgency::Urgent, Urgency::Emergency]
            .into_iter()
            .find(|u| u.as_str() == code)
    }
}

/// How a case reached the command centre (一门受理: every channel lands in the
/// same queue under the same acceptance step).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A grid worker's report from the app (网格员上报).
    #[default]
    GridWorker,
    /// The 12345 hotline's system (12345热线).
    Hotline,
    /// A call to the command centre (来电).
    Phone,
    /// A resident at the desk (来访).
    WalkIn,
    /// A letter (来信).
    Letter,
    /// The public report page (群众随手拍).
    PublicPage,
    /// Found by an inspection or patrol (巡查发现).
    Inspection,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 7] = [
        Channel::GridWorker,
        Channel::Hotline,
        Channel::Phone,
        Channel::WalkIn,
        Channel::Letter,
        Channel::PublicPage,
        Channel::Inspection,
    ];

    /// The code (API and exports).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::GridWorker => "grid_worker",
            Channel::Hotline => "hotline",
            Channel::Phone => "phone",
            Channel::WalkIn => "walk_in",
            Channel::Letter => "letter",
            Channel::PublicPage => "public_page",
            Channel::Inspection => "inspection",
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            Channel::GridWorker => "网格员上报",
            Channel::Hotline => "12345热线",
            Channel::Phone => "来电",
            Channel::WalkIn => "来访",
            Channel::Letter => "来信",
            Channel::PublicPage => "群众随手拍",
            Channel::Inspection => "巡查发现",
        }
    }

    /// Reads a code.
    pub fn parse(code: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

/// How to reach the resident who reported a case: personal data, kept like the
/// household records' (masked in lists, never in logs or URLs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentContact {
    /// The name the resident gave (may be empty: anonymous).
    #[serde(default)]
    pub name: String,
    /// A phone number to call back.
    pub phone: String,
}

impl ResidentContact {
    /// The name with all but its first character masked: 张**.
    pub fn masked_name(&self) -> String {
        let mut chars = self.name.chars();
        match chars.next() {
            None => String::new(),
            Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        }
    }

    /// The phone with its middle masked: 138****5678.
    pub fn masked_phone(&self) -> String {
        let chars: Vec<char> = self.phone.chars().collect();
        if chars.len() < 7 {
            return "*".repeat(chars.len());
        }
        let (head, tail) = (3, 4);
        chars[..head]
            .iter()
            .chain(std::iter::repeat_n(&'*', chars.len() - head - tail))
            .chain(&chars[chars.len() - tail..])
            .collect()
    }
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
    /// How it reached the command centre.
    #[serde(default)]
    pub channel: Channel,
    /// The resident to call back, for a case a resident reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<ResidentContact>,
    /// The place in words, as the resident or the hotline gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The case's number in the system it came from (the 12345 ticket id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
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
