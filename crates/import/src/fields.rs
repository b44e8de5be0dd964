//! Which CRM wrote a file, what the file holds, and what its columns are called.
//!
//! Each field of our records answers to every name it goes by: Salesforce's API name (a
//! Data Export), its label in a report export, HubSpot's property label and internal name.
//! Names are compared folded ([`fold`]): `StageName`, `stage_name` and `Stage Name` are one.

/// Which CRM the export comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Salesforce,
    Hubspot,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Salesforce => "salesforce",
            Self::Hubspot => "hubspot",
        }
    }
}

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    // In the order files are read: users and accounts before what refers to them.
    User,
    Account,
    Contact,
    Opportunity,
    History,
    Task,
    Event,
    /// HubSpot's activities (e-mails, calls, meetings, notes, tasks in one export).
    Activity,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Account => "account",
            Self::Contact => "contact",
            Self::Opportunity => "opportunity",
            Self::History => "opportunity_history",
            Self::Task => "task",
            Self::Event => "event",
            Self::Activity => "activity",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let all = [
            Self::User,
            Self::Account,
            Self::Contact,
            Self::Opportunity,
            Self::History,
            Self::Task,
            Self::Event,
            Self::Activity,
        ];
        all.into_iter().find(|k| fold(k.as_str()) == fold(s))
    }

    /// The kind a file's name says, as each CRM names its exports: Salesforce's Data
    /// Export writes `Opportunity.csv`, `OpportunityHistory.csv`…; HubSpot writes
    /// `hubspot-crm-exports-all-deals-2026-01-05.csv` and the like.
    pub fn from_file_name(source: Source, name: &str) -> Option<Self> {
        let n = fold(name.trim_end_matches(".csv").trim_end_matches(".CSV"));
        let has = |w: &str| n.contains(w);
        match source {
            Source::Salesforce => Some(
                if has("opportunityhistory") || has("opportunityfieldhistory") {
                    Self::History
                } else if has("opportunit") {
                    Self::Opportunity
                } else if has("account") {
                    Self::Account
                } else if has("contact") {
                    Self::Contact
                } else if has("task") {
                    Self::Task
                } else if has("event") {
                    Self::Event
                } else if has("user") {
                    Self::User
                } else {
                    return None;
                },
            ),
            Source::Hubspot => Some(if has("deal") {
                Self::Opportunity
            } else if has("compan") {
                Self::Account
            } else if has("contact") {
                Self::Contact
            } else if has("activit")
                || has("engagement")
                || has("email")
                || has("call")
                || has("meeting")
                || has("note")
                || has("task")
            {
                Self::Activity
            } else if has("owner") || has("user") {
                Self::User
            } else {
                return None;
            }),
        }
    }

    /// Every field of this kind with the names it answers to; the first field is the id.
    pub fn fields(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Self::User => &[
                (
                    "id",
                    &["Id", "User ID", "Owner ID", "hubspot_owner_id", "ownerid"],
                ),
                ("name", &["Name", "Full Name", "User", "Owner name"]),
                ("first_name", &["FirstName", "First Name", "firstname"]),
                ("last_name", &["LastName", "Last Name", "lastname"]),
                ("email", &["Email", "Username", "User Name", "Owner email"]),
            ],
            Self::Account => &[
                (
                    "id",
                    &[
                        "Id",
                        "Account ID",
                        "Record ID",
                        "hs_object_id",
                        "Company ID",
                    ],
                ),
                ("name", &["Name", "Account Name", "Company name"]),
                (
                    "domain",
                    &["Website", "Domain", "Company Domain Name", "Website URL"],
                ),
                (
                    "owner",
                    &[
                        "OwnerId",
                        "Account Owner",
                        "Company owner",
                        "hubspot_owner_id",
                    ],
                ),
            ],
            Self::Contact => &[
                ("id", &["Id", "Contact ID", "Record ID", "hs_object_id"]),
                (
                    "account",
                    &[
                        "AccountId",
                        "Account ID",
                        "Associated Company ID",
                        "associatedcompanyid",
                        "Associated Company IDs",
                        "Company ID",
                    ],
                ),
                ("name", &["Name", "Full Name", "Contact Name"]),
                ("first_name", &["FirstName", "First Name", "firstname"]),
                ("last_name", &["LastName", "Last Name", "lastname"]),
                ("email", &["Email", "Email Address"]),
                ("title", &["Title", "Job Title", "jobtitle"]),
            ],
            Self::Opportunity => &[
                (
                    "id",
                    &[
                        "Id",
                        "Opportunity ID",
                        "Record ID",
                        "hs_object_id",
                        "Deal ID",
                    ],
                ),
                (
                    "account",
                    &[
                        "AccountId",
                        "Account ID",
                        "Associated Company ID",
                        "associatedcompanyid",
                        "Associated Company IDs",
                        "Associated Company",
                    ],
                ),
                (
                    "name",
                    &["Name", "Opportunity Name", "Deal Name", "dealname"],
                ),
                ("stage", &["StageName", "Stage", "Deal Stage", "dealstage"]),
                ("amount", &["Amount", "amount"]),
                ("close_date", &["CloseDate", "Close Date", "closedate"]),
                (
                    "owner",
                    &[
                        "OwnerId",
                        "Opportunity Owner",
                        "Owner",
                        "Deal owner",
                        "hubspot_owner_id",
                    ],
                ),
                ("next_step", &["NextStep", "Next Step", "hs_next_step"]),
                (
                    "last_activity",
                    &[
                        "LastActivityDate",
                        "Last Activity",
                        "Last Activity Date",
                        "notes_last_updated",
                    ],
                ),
                (
                    "next_activity",
                    &["Next Activity Date", "notes_next_activity_date"],
                ),
                (
                    "is_closed",
                    &["IsClosed", "Closed", "Is Deal Closed?", "hs_is_closed"],
                ),
                (
                    "is_won",
                    &["IsWon", "Won", "Is Closed Won", "hs_is_closed_won"],
                ),
                (
                    "probability",
                    &[
                        "Probability",
                        "Probability (%)",
                        "Deal probability",
                        "hs_deal_stage_probability",
                    ],
                ),
                (
                    "forecast_category",
                    &[
                        "ForecastCategoryName",
                        "Forecast Category",
                        "hs_manual_forecast_category",
                    ],
                ),
                ("pipeline", &["Pipeline", "pipeline"]),
                (
                    "created",
                    &["CreatedDate", "Created Date", "Create Date", "createdate"],
                ),
                (
                    "modified",
                    &[
                        "LastModifiedDate",
                        "Last Modified Date",
                        "hs_lastmodifieddate",
                    ],
                ),
            ],
            Self::History => &[
                ("id", &["Id", "History ID"]),
                ("opportunity", &["OpportunityId", "Opportunity ID"]),
                ("stage", &["StageName", "Stage", "To Stage"]),
                ("amount", &["Amount"]),
                ("close_date", &["CloseDate", "Close Date"]),
                (
                    "at",
                    &["CreatedDate", "Created Date", "Last Modified", "Edit Date"],
                ),
            ],
            Self::Task => &[
                ("id", &["Id", "Activity ID", "Task ID"]),
                ("what", &["WhatId", "Related To ID", "Opportunity ID"]),
                ("who", &["WhoId", "Name ID", "Contact ID"]),
                (
                    "at",
                    &["ActivityDate", "Date", "Due Date", "CompletedDateTime"],
                ),
                ("subject", &["Subject"]),
                ("status", &["Status"]),
                ("type", &["TaskSubtype", "Type", "Task Subtype"]),
            ],
            Self::Event => &[
                ("id", &["Id", "Activity ID", "Event ID"]),
                ("what", &["WhatId", "Related To ID", "Opportunity ID"]),
                ("who", &["WhoId", "Name ID", "Contact ID"]),
                (
                    "at",
                    &[
                        "StartDateTime",
                        "Start",
                        "ActivityDateTime",
                        "ActivityDate",
                        "Date",
                    ],
                ),
                ("subject", &["Subject"]),
                ("type", &["EventSubtype", "Type"]),
            ],
            Self::Activity => &[
                (
                    "id",
                    &["Record ID", "hs_object_id", "Activity ID", "Engagement ID"],
                ),
                (
                    "type",
                    &[
                        "Activity type",
                        "Activity Type",
                        "hs_activity_type",
                        "Engagement type",
                        "hs_engagement_type",
                        "Type",
                    ],
                ),
                (
                    "what",
                    &[
                        "Associated Deal IDs",
                        "Associated Deal ID",
                        "Associated Deal",
                        "Deal ID",
                    ],
                ),
                (
                    "who",
                    &[
                        "Associated Contact IDs",
                        "Associated Contact ID",
                        "Associated Contact",
                        "Contact ID",
                    ],
                ),
                (
                    "at",
                    &[
                        "Activity date",
                        "Activity Date",
                        "hs_timestamp",
                        "Create Date",
                        "Date",
                    ],
                ),
                (
                    "subject",
                    &[
                        "Subject",
                        "Email subject",
                        "hs_email_subject",
                        "Call title",
                        "hs_call_title",
                        "Meeting name",
                        "hs_meeting_title",
                    ],
                ),
                ("status", &["Status", "hs_task_status", "Call outcome"]),
                (
                    "direction",
                    &[
                        "Email direction",
                        "hs_email_direction",
                        "Call direction",
                        "hs_call_direction",
                    ],
                ),
            ],
        }
    }
}

/// A column name as it is compared: lower-case letters and digits only
/// (`Probability (%)` → `probability`, `hs_object_id` → `hsobjectid`).
pub fn fold(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_recognised_by_their_names() {
        let sf = |n| FileKind::from_file_name(Source::Salesforce, n);
        assert_eq!(sf("Opportunity.csv"), Some(FileKind::Opportunity));
        assert_eq!(sf("OpportunityHistory.csv"), Some(FileKind::History));
        assert_eq!(sf("Account.csv"), Some(FileKind::Account));
        assert_eq!(sf("Task.csv"), Some(FileKind::Task));
        assert_eq!(sf("notes.txt"), None);
        let hs = |n| FileKind::from_file_name(Source::Hubspot, n);
        assert_eq!(
            hs("hubspot-crm-exports-all-deals-2026-01-05.csv"),
            Some(FileKind::Opportunity)
        );
        assert_eq!(hs("all-companies.csv"), Some(FileKind::Account));
        assert_eq!(hs("activities.csv"), Some(FileKind::Activity));
    }

    #[test]
    fn names_fold_to_letters_and_digits() {
        assert_eq!(fold("Probability (%)"), "probability");
        assert_eq!(fold("Stage_Name"), fold("StageName"));
        assert_eq!(fold("Close Date"), fold("closedate"));
    }
}
