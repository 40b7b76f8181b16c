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
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
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

/// A joint unit's share of a case (联办): what it must do and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointPart {
    /// The joint unit's code.
    pub unit: String,
    /// What it must do.
    #[serde(default)]
    pub task: String,
    /// Its own deadline (unix seconds), if the dispatcher set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<i64>,
}

/// How a unit was urged (催办).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UrgeMethod {
    /// 线上催办: a message through the system.
    Online,
    /// 电话促办: a phone call.
    Phone,
    /// 线下督办: in person.
    InPerson,
}

impl UrgeMethod {
    /// Every method.
    pub const ALL: [UrgeMethod; 3] = [UrgeMethod::Online, UrgeMethod::Phone, UrgeMethod::InPerson];

    /// The code (API and exports).
    pub fn as_str(self) -> &'static str {
        match self {
            UrgeMethod::Online => "online",
            UrgeMethod::Phone => "phone",
            UrgeMethod::InPerson => "in_person",
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            UrgeMethod::Online => "线上催办",
            UrgeMethod::Phone => "电话促办",
            UrgeMethod::InPerson => "线下督办",
        }
    }

    /// Reads a code.
    pub fn parse(code: &str) -> Option<UrgeMethod> {
        UrgeMethod::ALL.into_iter().find(|m| m.as_str() == code)
    }
}

/// Whom an urge step urges, how, and the date the unit promised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Urge {
    /// The unit urged (the lead or a joint unit).
    pub unit: String,
    /// How.
    pub method: UrgeMethod,
    /// The new date the unit promised (unix seconds), if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promised: Option<i64>,
}

/// One step of an incident's workflow, appended and never rewritten: the current
/// state is a replay of these.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// On a dispatch: the joint units (联办) and their shares.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<JointPart>,
    /// On a dispatch: the supervising unit (督办), which watches and may urge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<String>,
    /// On a joint part's step: the joint unit whose part it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// On an urge step: whom, how, and the promised date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urge: Option<Urge>,
    /// On a follow-up call (回访): the resident's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Satisfaction>,
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

/// The resident's answer in the follow-up call (回访).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    /// 满意.
    Satisfied,
    /// 基本满意.
    Basic,
    /// 不满意.
    Unsatisfied,
    /// 无法联系: the call did not reach the resident (not counted in 满意率).
    Unreachable,
}

impl Satisfaction {
    /// Every answer.
    pub const ALL: [Satisfaction; 4] = [
        Satisfaction::Satisfied,
        Satisfaction::Basic,
        Satisfaction::Unsatisfied,
        Satisfaction::Unreachable,
    ];

    /// The code (API and exports).
    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::Basic => "basic",
            Satisfaction::Unsatisfied => "unsatisfied",
            Satisfaction::Unreachable => "unreachable",
        }
    }

    /// The Chinese name people read.
    pub fn name_zh(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "满意",
            Satisfaction::Basic => "基本满意",
            Satisfaction::Unsatisfied => "不满意",
            Satisfaction::Unreachable => "无法联系",
        }
    }

    /// Reads a code.
    pub fn parse(code: &str) -> Option<Satisfaction> {
        Satisfaction::ALL.into_iter().find(|a| a.as_str() == code)
    }

    /// Whether the resident answered (counted in 满意率).
    pub fn answered(self) -> bool {
        self != Satisfaction::Unreachable
    }

    /// Whether it counts as satisfied (满意 or 基本满意).
    pub fn is_satisfied(self) -> bool {
        matches!(self, Satisfaction::Satisfied | Satisfaction::Basic)
    }
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
