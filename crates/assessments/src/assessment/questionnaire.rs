//! The Slack questionnaire: the questions of an assessment that need input are posted to a
//! channel (rephrased by the chat model in the configured tone when one is set), each thread is
//! read on a schedule (a durable job per round), and the team's replies become the answers, with
//! the thread as evidence. Reminders go to threads without a reply.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use db::jobs::{Job, JobFailure, JobHandler, NewJob};
use db::{Database, DbConn, now, utc};
use messaging::{ChatMessage, ChatModel, Posted, Slack, SlackError, ThreadMessage};
use serde_json::json;
use validation::{Loc, Problem};

use super::answer::Answers;
use super::changes::Changes;
use super::model::{QuestionnaireQuestion, QuestionnaireSend, QuestionnaireStatus, RemindersSent};
use super::repo::{self, AssessmentRow, EvidenceId, EvidenceRow, PostedRow, QuestionnaireId, QuestionnaireRow};
use super::view;
use super::wake::Wake;
use crate::config::model as config;
use crate::config::repo as config_repo;
use crate::error::{AssessmentError, Result};
use crate::kinds::{AnswerSource, AnswerStatus, EvidenceKind};
use crate::template::{QuestionDef, TemplateDef};

/// The job queue that reads questionnaire threads.
pub const POLL_QUEUE: &str = "assessments.questionnaire";

/// Threads are read for this long after the questionnaire was sent.
const POLL_FOR: chrono::Duration = chrono::Duration::days(14);

/// Slack as the questionnaire uses it.
#[derive(Clone)]
pub struct SlackSetup {
    /// The Web API client.
    pub client: Arc<dyn Slack>,
    /// Channel used when a request names none.
    pub default_channel: Option<String>,
    /// Time between reads of the threads.
    pub poll_every: Duration,
}

fn slack_failed(e: &SlackError) -> AssessmentError {
    AssessmentError::Upstream(format!("Slack error: {} ({e})", e.code()))
}

/// Slack `ts` values ("1700000000.000100") in order.
fn ts_key(ts: &str) -> (u64, u64) {
    let (secs, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    (secs.parse().unwrap_or(0), micros.parse().unwrap_or(0))
}

/// The human replies of a thread (the parent and bot messages left out), in order.
pub(crate) fn human_replies(thread: &[ThreadMessage], parent_ts: &str) -> Vec<ThreadMessage> {
    let mut replies: Vec<ThreadMessage> =
        thread.iter().filter(|m| m.ts != parent_ts && m.is_human()).cloned().collect();
    replies.sort_by_key(|m| ts_key(&m.ts));
    replies
}

/// The tone prompt and the chat model in force (read once per questionnaire).
struct Chat {
    tone: String,
    model: String,
}

/// Sends questionnaires, reads their threads and sends reminders.
#[derive(Clone)]
pub(crate) struct Questionnaires {
    db: Database,
    slack: Option<SlackSetup>,
    llm: Option<Arc<dyn ChatModel>>,
    answers: Answers,
    wake: Wake,
}

/// The questions to ask: those named (each once, unknown ids refused), or every question that
/// needs input.
fn questions_to_ask(
    template: &'static TemplateDef,
    named: Option<&[String]>,
    statuses: &HashMap<String, AnswerStatus>,
) -> Result<Vec<&'static QuestionDef>> {
    let questions: Vec<&'static QuestionDef> = match named {
        Some(ids) => {
            let mut problems = Vec::new();
            let mut chosen: Vec<&'static QuestionDef> = Vec::new();
            for (i, qid) in ids.iter().enumerate() {
                match template.question(qid) {
                    Some((_, q)) if !chosen.iter().any(|c| c.id == q.id) => chosen.push(q),
                    Some(_) => {}
                    None => problems.push(Problem::new(
                        vec![Loc::Key("question_ids".into()), Loc::Index(i)],
                        format!("Question '{qid}' is not part of template '{}'", template.id),
                    )),
                }
            }
            if !problems.is_empty() {
                return Err(AssessmentError::Invalid(problems));
            }
            chosen
        }
        None => template
            .questions()
            .map(|(_, q)| q)
            .filter(|q| statuses.get(q.id).is_none_or(|s| *s == AnswerStatus::NeedsInput))
            .collect(),
    };
    if questions.is_empty() {
        return Err(AssessmentError::BadRequest(
            "No question needs input; pass question_ids to ask about answered questions".to_owned(),
        ));
    }
    Ok(questions)
}

/// Posts every text; if Slack refuses one, takes back what was posted.
fn post_all<'q>(
    slack: &SlackSetup,
    channel: &str,
    questions: &[&'q QuestionDef],
    texts: &[String],
) -> Result<Vec<(&'q QuestionDef, Posted)>> {
    let mut posted: Vec<(&QuestionDef, Posted)> = Vec::new();
    for (q, text) in questions.iter().zip(texts) {
        match slack.client.post_message(channel, text, None) {
            Ok(message) => posted.push((q, message)),
            Err(e) => {
                undo(slack, &posted);
                return Err(slack_failed(&e));
            }
        }
    }
    Ok(posted)
}

/// The rows recording a questionnaire and its posted questions.
fn questionnaire_rows(
    id: &str,
    actor: &str,
    channel: &str,
    posted: &[(&QuestionDef, Posted)],
) -> (QuestionnaireRow, Vec<PostedRow>) {
    let at = now();
    let questionnaire = QuestionnaireRow {
        id: QuestionnaireId::new(),
        assessment_id: id.to_owned().into(),
        channel: posted.first().map_or(channel.to_owned(), |(_, p)| p.channel.clone()),
        poll_round: 1,
        created_by: actor.to_owned(),
        sent_at: at,
    };
    let rows = posted
        .iter()
        .enumerate()
        .map(|(i, (q, message))| PostedRow {
            questionnaire_id: questionnaire.id.clone(),
            question_id: q.id.to_owned(),
            position: i32::try_from(i).unwrap_or(i32::MAX),
            message_ts: message.ts.clone(),
            sent_at: at,
            last_reply_ts: None,
            response_received_at: None,
            reminder_count: 0,
            last_reminder_at: None,
        })
        .collect();
    (questionnaire, rows)
}

/// Queues the read of round `round` of a questionnaire's threads, `every` from now.
fn queue_poll(conn: &mut DbConn, questionnaire_id: &str, round: i32, every: Duration) -> Result<()> {
    let delay = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::seconds(60));
    let job = NewJob::new(POLL_QUEUE, json!({"questionnaire_id": questionnaire_id}))
        .run_at(now() + delay)
        .unique_key(format!("questionnaire:{questionnaire_id}:{round}"));
    db::jobs::enqueue(conn, &job)?;
    Ok(())
}

impl Questionnaires {
    pub(crate) fn new(
        db: Database,
        slack: Option<SlackSetup>,
        llm: Option<Arc<dyn ChatModel>>,
        answers: Answers,
        wake: Wake,
    ) -> Questionnaires {
        Questionnaires { db, slack, llm, answers, wake }
    }

    fn slack(&self) -> Result<&SlackSetup> {
        self.slack.as_ref().ok_or_else(|| {
            AssessmentError::BadRequest("Slack is not configured: set LETHE__SLACK__BOT_TOKEN".to_owned())
        })
    }

    /// The text posted for a question: through the chat model with the tone prompt when one is
    /// configured (falling back to the plain text if it fails), else a plain template.
    fn phrase(&self, chat: &Chat, system_name: &str, template_name: &str, q: &QuestionDef) -> String {
        let plain = format!(
            "*{system_name}: {template_name}*\n{}\n_{}_\nPlease answer by replying in this thread.",
            q.text, q.guidance
        );
        let Some(model) = &self.llm else { return plain };
        let messages = [
            ChatMessage::system(format!("{}\nWrite only the message to post, as plain text.", chat.tone)),
            ChatMessage::user(format!(
                "Assessment: {template_name} of the system \"{system_name}\".\nQuestion: {}\nGuidance: {}",
                q.text, q.guidance
            )),
        ];
        match model.complete(&chat.model, &messages) {
            Ok(text) => format!("{text}\n(Question {}. Please reply in this thread.)", q.id),
            Err(e) => {
                tracing::warn!(error = %e, question = q.id, "phrasing with the chat model failed; posting the plain text");
                plain
            }
        }
    }

    /// Sends the questionnaire of assessment `id`.
    pub(crate) fn send(&self, actor: &str, id: &str, request: QuestionnaireSend) -> Result<QuestionnaireStatus> {
        let slack = self.slack()?.clone();
        let channel = request
            .channel
            .or_else(|| slack.default_channel.clone())
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                AssessmentError::invalid(
                    vec![Loc::Key("channel".into())],
                    "No Slack channel: pass channel or set LETHE__SLACK__DEFAULT_CHANNEL",
                )
            })?;
        let mut conn = self.db.conn()?;
        let row: AssessmentRow = view::assessment(&mut conn, id)?;
        let template = view::template_of(&row)?;
        let statuses: HashMap<String, AnswerStatus> = repo::answers_of(&mut conn, id)?
            .into_iter()
            .filter(|a| !a.answer.is_empty())
            .map(|a| (a.question_id, a.status))
            .collect();
        let questions = questions_to_ask(template, request.question_ids.as_deref(), &statuses)?;
        let stored = config_repo::find_config(&mut conn)?;
        let chat = Chat { tone: config::tone(stored.as_ref()), model: config::view(stored.as_ref()).chat_model };
        let texts: Vec<String> =
            questions.iter().map(|q| self.phrase(&chat, &row.system_name, template.name, q)).collect();
        // Post everything first; if Slack refuses one, take back what was posted and record nothing.
        let posted = post_all(&slack, &channel, &questions, &texts)?;
        let (questionnaire, rows) = questionnaire_rows(id, actor, &channel, &posted);
        let stored = conn.write_transaction(|conn| {
            repo::lock_assessment(conn, id)?.ok_or_else(|| view::not_found(id))?;
            repo::insert_questionnaire(conn, &questionnaire, &rows)?;
            let mut changes = Changes::start(conn, id, questionnaire.sent_at)?;
            changes.audit(
                actor,
                "questionnaire_sent",
                None,
                json!({"questionnaire_id": questionnaire.id, "channel": questionnaire.channel,
                       "question_ids": rows.iter().map(|r| r.question_id.clone()).collect::<Vec<_>>()}),
            );
            changes.save(conn)?;
            queue_poll(conn, &questionnaire.id, 1, slack.poll_every)
        });
        if let Err(e) = stored {
            undo(&slack, &posted);
            return Err(e);
        }
        self.wake.now();
        status(&questionnaire, &rows)
    }

    /// The latest questionnaire of assessment `id`.
    pub(crate) fn status(&self, id: &str) -> Result<QuestionnaireStatus> {
        let mut conn = self.db.conn()?;
        view::assessment(&mut conn, id)?;
        let questionnaire = repo::latest_questionnaire(&mut conn, id)?
            .ok_or_else(|| AssessmentError::NotFound(format!("No questionnaire was sent for assessment '{id}'")))?;
        let rows = repo::posted_questions(&mut conn, &questionnaire.id)?;
        status(&questionnaire, &rows)
    }

    /// Posts a reminder in every thread without a reply.
    pub(crate) fn remind(&self, actor: &str, id: &str) -> Result<RemindersSent> {
        let slack = self.slack()?.clone();
        let mut conn = self.db.conn()?;
        let questionnaire = repo::latest_questionnaire(&mut conn, id)?
            .ok_or_else(|| AssessmentError::NotFound(format!("No questionnaire was sent for assessment '{id}'")))?;
        let open: Vec<PostedRow> = repo::posted_questions(&mut conn, &questionnaire.id)?
            .into_iter()
            .filter(|r| r.response_received_at.is_none())
            .collect();
        let mut reminded = Vec::new();
        let mut failure = None;
        for row in &open {
            let text = "Reminder: this question is still open. Please reply in this thread.";
            match slack.client.post_message(&questionnaire.channel, text, Some(&row.message_ts)) {
                Ok(_) => reminded.push(row.question_id.clone()),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        // Reminders Slack took are recorded even when a later one failed.
        conn.write_transaction(|conn| {
            let at = now();
            for question_id in &reminded {
                repo::record_reminder(conn, &questionnaire.id, question_id, at)?;
            }
            if !reminded.is_empty() {
                let mut changes = Changes::start(conn, id, at)?;
                changes.audit(actor, "questionnaire_reminded", None, json!({"question_ids": reminded}));
                changes.save(conn)?;
            }
            Ok::<_, AssessmentError>(())
        })?;
        if let Some(e) = failure {
            return Err(slack_failed(&e));
        }
        Ok(RemindersSent { sent: reminded.len(), question_ids: reminded, channel: questionnaire.channel })
    }

    /// Reads every thread of a questionnaire and takes new human replies; queues the next read.
    fn poll(&self, questionnaire_id: &str) -> Result<()> {
        let slack = self.slack()?.clone();
        let mut conn = self.db.conn()?;
        let Some(questionnaire) = repo::find_questionnaire(&mut conn, questionnaire_id)? else {
            return Ok(()); // deleted with its assessment
        };
        let Some(assessment) = repo::find_assessment(&mut conn, &questionnaire.assessment_id)? else {
            return Ok(());
        };
        let template = view::template_of(&assessment)?;
        for row in repo::posted_questions(&mut conn, questionnaire_id)? {
            // Slack being down skips this round for the thread; the next round reads it again.
            let thread = match slack.client.replies(&questionnaire.channel, &row.message_ts) {
                Ok(thread) => thread,
                Err(e) => {
                    tracing::warn!(error = %e, questionnaire = questionnaire_id, "reading a questionnaire thread failed");
                    continue;
                }
            };
            let replies = human_replies(&thread, &row.message_ts);
            let Some(last) = replies.last() else { continue };
            if row.last_reply_ts.as_deref().is_some_and(|seen| ts_key(seen) >= ts_key(&last.ts)) {
                continue;
            }
            let group = template.question(&row.question_id).map(|(group, _)| group).unwrap_or_default();
            self.take_replies(&questionnaire, &row, group, &replies)?;
        }
        let round = questionnaire.poll_round + 1;
        if now() - questionnaire.sent_at < POLL_FOR {
            conn.write_transaction(|conn| {
                repo::set_poll_round(conn, questionnaire_id, round)?;
                queue_poll(conn, questionnaire_id, round, slack.poll_every)
            })?;
        }
        Ok(())
    }

    /// Writes the thread's human replies as the question's answer (all of them, in order) and
    /// the thread as its evidence.
    fn take_replies(
        &self,
        questionnaire: &QuestionnaireRow,
        row: &PostedRow,
        group_id: &str,
        replies: &[ThreadMessage],
    ) -> Result<()> {
        let text = replies.iter().map(|m| m.text.trim()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join("\n");
        let mut users: Vec<String> = replies.iter().filter_map(|m| m.user.clone()).collect();
        users.dedup();
        let transcript = replies
            .iter()
            .map(|m| format!("{}: {}", m.user.as_deref().unwrap_or("?"), m.text.trim()))
            .collect::<Vec<_>>();
        let last_ts = replies.last().map(|m| m.ts.clone()).unwrap_or_default();
        let actor = format!("slack:{}", users.join(","));
        let (questionnaire_id, channel, thread) =
            (questionnaire.id.clone(), questionnaire.channel.clone(), row.message_ts.clone());
        let (assessment_id, question_id) = (questionnaire.assessment_id.clone(), row.question_id.clone());
        let evidence_group = group_id.to_owned();
        let (target, asked) = (assessment_id.clone(), question_id.clone());
        self.answers.write(&actor, &target, &asked, move |conn| {
            let at = now();
            repo::record_reply(conn, &questionnaire_id, &question_id, &last_ts, at)?;
            repo::replace_question_evidence(
                conn,
                &EvidenceRow {
                    id: EvidenceId::new(),
                    assessment_id: assessment_id.clone(),
                    group_id: evidence_group,
                    question_id: question_id.clone(),
                    seq: i32::MAX,
                    kind: EvidenceKind::TeamInput,
                    label: format!("Slack thread in {channel} ({} message(s))", transcript.len()),
                    value: transcript.join("\n"),
                    source_id: format!("{channel}/{thread}"),
                    created_at: at,
                },
            )?;
            let details = json!({"via": "slack", "channel": channel, "thread_ts": thread, "users": users});
            Ok((text, AnswerSource::TeamInput, AnswerStatus::Complete, "answer_updated", details))
        })?;
        Ok(())
    }
}

fn undo(slack: &SlackSetup, posted: &[(&QuestionDef, Posted)]) {
    for (_, message) in posted {
        if let Err(e) = slack.client.delete_message(&message.channel, &message.ts) {
            tracing::warn!(error = %e, ts = %message.ts, "could not take back a questionnaire message");
        }
    }
}

fn status(questionnaire: &QuestionnaireRow, rows: &[PostedRow]) -> Result<QuestionnaireStatus> {
    Ok(QuestionnaireStatus {
        assessment_id: questionnaire.assessment_id.to_string(),
        questionnaire_id: questionnaire.id.to_string(),
        channel: questionnaire.channel.clone(),
        sent_at: utc(questionnaire.sent_at),
        questions: rows
            .iter()
            .map(|r| QuestionnaireQuestion {
                question_id: r.question_id.clone(),
                sent_at: utc(r.sent_at),
                responded: r.response_received_at.is_some(),
                response_received_at: r.response_received_at.map(utc),
                reminder_count: r.reminder_count,
            })
            .collect(),
    })
}

/// Reads questionnaire threads ([`POLL_QUEUE`]); made by
/// [`crate::DieselAssessmentService::questionnaire_poller`].
pub struct QuestionnairePoller(pub(crate) Questionnaires);

impl JobHandler for QuestionnairePoller {
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure> {
        let Some(id) = job.payload.get("questionnaire_id").and_then(|v| v.as_str()) else {
            return Err(JobFailure::permanent("job payload has no questionnaire_id"));
        };
        self.0.poll(id).map_err(|e| JobFailure::retry(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(ts: &str, user: Option<&str>, bot: bool, text: &str) -> ThreadMessage {
        ThreadMessage {
            ts: ts.to_owned(),
            user: user.map(str::to_owned),
            bot_id: bot.then(|| "B1".to_owned()),
            subtype: bot.then(|| "bot_message".to_owned()),
            text: text.to_owned(),
        }
    }

    #[test]
    fn only_human_replies_count_in_thread_order() {
        let thread = vec![
            message("1700000000.000100", None, true, "the question"),
            message("1700000010.000200", Some("U2"), false, "second"),
            message("1700000005.000900", Some("U1"), false, "first"),
            message("1700000007.000000", None, true, "a bot reminder"),
        ];
        let replies = human_replies(&thread, "1700000000.000100");
        let texts: Vec<&str> = replies.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(texts, ["first", "second"]);
        assert!(ts_key("1700000010.000200") > ts_key("1700000005.000900"));
    }
}
