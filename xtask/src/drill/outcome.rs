//! What the build and the tests made of each change, the line the drill
//! prints for it, and whether the drill as a whole passes.

use super::changes::Change;

/// What the build and the tests made of one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Something failed; says what (a compile error's place, a test's name).
    Caught(String),
    /// Everything built and every test passed.
    Passes,
}

/// One change and what came of it.
pub struct Judged<'a> {
    pub change: &'a Change,
    /// Whether the change report, run on the document before and after the
    /// change, marks something breaking: what tells our users.
    pub reported: bool,
    pub outcome: Outcome,
}

/// How `--list` and each line name a change's class.
pub fn class(breaking: bool) -> &'static str {
    if breaking { "breaking" } else { "non-breaking" }
}

impl Judged<'_> {
    /// The line the drill prints: `caught: <change> (<class>): <how>`,
    /// `followed: <change> (breaking): <why that is enough>` or
    /// `passes: <change> (<class>)`.
    pub fn line(&self) -> String {
        let (change, class) = (self.change.description, class(self.change.breaking));
        match &self.outcome {
            Outcome::Caught(how) => format!("caught: {change} ({class}): {how}"),
            Outcome::Passes if self.change.breaking && self.reported => format!(
                "followed: {change} ({class}): the change report marks it breaking; \
                 the SDK follows it, the tests pass"
            ),
            Outcome::Passes => format!("passes: {change} ({class})"),
        }
    }

    /// A breaking change must be caught or followed (reported as breaking,
    /// with every test passing); a non-breaking one must pass.
    pub fn as_it_should_be(&self) -> bool {
        match self.outcome {
            Outcome::Caught(_) => self.change.breaking,
            Outcome::Passes => !self.change.breaking || self.reported,
        }
    }
}

/// Succeeds when every breaking change was caught or followed and every
/// non-breaking one passed; otherwise says which were not.
pub fn decide(outcomes: &[Judged]) -> Result<(), String> {
    let wrong: Vec<&Judged> = outcomes.iter().filter(|v| !v.as_it_should_be()).collect();
    if wrong.is_empty() {
        return Ok(());
    }
    let mut message = String::from(
        "spec-drill: neither the build and tests nor the change report say what changed:",
    );
    for judged in wrong {
        let what = if judged.change.breaking {
            "breaking, but nothing failed and the change report does not mark it breaking"
        } else {
            "not breaking, but something failed"
        };
        message.push_str(&format!("\n  {}: {what}", judged.change.description));
    }
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::changes::CHANGES;

    fn judged(breaking: bool, reported: bool, outcome: Outcome) -> Judged<'static> {
        let change = CHANGES.iter().find(|c| c.breaking == breaking).unwrap();
        Judged {
            change,
            reported,
            outcome,
        }
    }

    fn caught() -> Outcome {
        Outcome::Caught("tests/x.rs: t failed".to_owned())
    }

    #[test]
    fn lines_say_caught_followed_or_passes() {
        let how = "does not compile: src/connections.rs:40: no field";
        let path = "path /companies/{companyId}/connections renamed to \
                    /companies/{companyId}/data-connections (breaking)";
        let caught = judged(true, true, Outcome::Caught(how.to_owned()));
        assert_eq!(caught.line(), format!("caught: {path}: {how}"));
        let followed = judged(true, true, Outcome::Passes);
        assert_eq!(
            followed.line(),
            format!(
                "followed: {path}: the change report marks it breaking; \
                 the SDK follows it, the tests pass"
            )
        );
        // Unreported, a breaking change that passes is not followed: it passes unseen.
        assert_eq!(
            judged(true, false, Outcome::Passes).line(),
            format!("passes: {path}")
        );
        let passes = judged(false, false, Outcome::Passes);
        assert_eq!(
            passes.line(),
            "passes: optional query parameter region added to list-connections (non-breaking)"
        );
    }

    #[test]
    fn breaking_must_be_caught_or_reported_and_followed_and_non_breaking_must_pass() {
        // (breaking, reported, outcome, as it should be)
        for (breaking, reported, outcome, fine) in [
            (true, true, caught(), true),
            (true, false, caught(), true),
            (true, true, Outcome::Passes, true),
            (true, false, Outcome::Passes, false),
            (false, false, Outcome::Passes, true),
            (false, true, Outcome::Passes, true),
            (false, false, caught(), false),
            (false, true, caught(), false),
        ] {
            let judged = judged(breaking, reported, outcome);
            assert_eq!(judged.as_it_should_be(), fine, "{}", judged.line());
            let decided = decide(std::slice::from_ref(&judged));
            assert_eq!(decided.is_ok(), fine, "{decided:?}");
        }
        assert!(decide(&[]).is_ok());
    }

    #[test]
    fn decide_names_each_wrong_outcome_and_why() {
        let followed = judged(true, true, Outcome::Passes);
        let missed = judged(true, false, Outcome::Passes);
        let broke = judged(false, false, caught());
        let message = decide(&[followed, missed, broke]).unwrap_err();
        let why: Vec<&str> = message.lines().skip(1).collect();
        assert_eq!(
            why,
            [
                format!(
                    "  {}: breaking, but nothing failed and the change report does not mark \
                     it breaking",
                    CHANGES[0].description
                ),
                format!(
                    "  {}: not breaking, but something failed",
                    CHANGES.iter().find(|c| !c.breaking).unwrap().description
                ),
            ]
        );
    }
}
