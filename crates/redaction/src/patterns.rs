//! A validated, compiled set of redaction patterns.

use regex::{RegexBuilder, RegexSet, RegexSetBuilder};

use validation::Problem;

use crate::error::{RedactionError, Result};

/// Most patterns one set may hold.
pub const MAX_PATTERNS: usize = 100;
/// Longest pattern, in characters.
pub const MAX_PATTERN_LENGTH: usize = 500;
/// Compiled size one pattern may reach; bounds what a hostile pattern like `\w{500}{500}` costs.
const PATTERN_SIZE_LIMIT: usize = 2 << 20;
/// Compiled size of the whole set.
const SET_SIZE_LIMIT: usize = 64 << 20;

/// Patterns that passed validation, compiled once into a single case-insensitive set.
#[derive(Debug, Clone)]
pub struct PatternSet {
    patterns: Vec<String>,
    set: RegexSet,
}

impl PatternSet {
    /// Validates and compiles `patterns`.
    ///
    /// Rejects more than [`MAX_PATTERNS`] patterns, and reports every pattern that is empty,
    /// longer than [`MAX_PATTERN_LENGTH`] characters, or not a valid regular expression.
    /// Repeated patterns are kept once, at their first position.
    pub fn parse(patterns: Vec<String>) -> Result<PatternSet> {
        if patterns.len() > MAX_PATTERNS {
            return Err(RedactionError::TooManyPatterns { max: MAX_PATTERNS });
        }
        let mut issues = Vec::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let message = if pattern.chars().count() > MAX_PATTERN_LENGTH {
                format!("Pattern exceeds maximum length of {MAX_PATTERN_LENGTH} characters")
            } else if pattern.is_empty() {
                // An empty regex matches every name: almost certainly a mistake.
                "Pattern cannot be empty".to_owned()
            } else if compile(pattern).is_err() {
                format!("Invalid regex pattern: {pattern}")
            } else {
                continue;
            };
            issues.push(Problem::new(validation::loc!["patterns", index], message));
        }
        if !issues.is_empty() {
            return Err(RedactionError::InvalidPatterns(issues));
        }
        let mut unique: Vec<String> = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            if !unique.contains(&pattern) {
                unique.push(pattern);
            }
        }
        let set = RegexSetBuilder::new(&unique)
            .case_insensitive(true)
            .size_limit(SET_SIZE_LIMIT)
            .build()
            .map_err(|_| RedactionError::SetTooLarge)?;
        Ok(PatternSet { patterns: unique, set })
    }

    /// An empty set, matching nothing.
    pub fn empty() -> PatternSet {
        PatternSet { patterns: Vec::new(), set: RegexSet::empty() }
    }

    /// True when any pattern matches somewhere in `name` (case-insensitive search).
    pub fn is_match(&self, name: &str) -> bool {
        self.set.is_match(name)
    }

    /// The patterns, in the order given.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// True when the set holds no pattern.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Gives the patterns back.
    pub fn into_patterns(self) -> Vec<String> {
        self.patterns
    }
}

fn compile(pattern: &str) -> std::result::Result<regex::Regex, regex::Error> {
    RegexBuilder::new(pattern).case_insensitive(true).size_limit(PATTERN_SIZE_LIMIT).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn spec_examples_are_valid_and_keep_their_order() {
        let examples = strings(&[
            "^email$",
            "sensitive_.*",
            ".*_private",
            "customer.*",
            ".*user.*",
            "^(email|phone)$",
            ".*@.*",
            "data_[0-9]+",
        ]);
        let set = PatternSet::parse(examples.clone()).unwrap();
        assert_eq!(set.patterns(), examples.as_slice());
    }

    #[test]
    fn matching_is_a_case_insensitive_search() {
        let set = PatternSet::parse(strings(&["^email$", "customer", "data_[0-9]+"])).unwrap();
        assert!(set.is_match("EMAIL"));
        assert!(!set.is_match("email_address"));
        assert!(set.is_match("our_Customer_table"));
        assert!(set.is_match("raw_data_42"));
        assert!(!set.is_match("orders"));
        assert!(!PatternSet::empty().is_match("anything"));
    }

    #[test]
    fn more_than_one_hundred_patterns_are_refused() {
        let many = (0..101).map(|i| format!("p{i}")).collect();
        assert!(matches!(PatternSet::parse(many), Err(RedactionError::TooManyPatterns { max: 100 })));
        assert!(PatternSet::parse((0..100).map(|i| format!("p{i}")).collect()).is_ok());
    }

    #[test]
    fn every_bad_pattern_is_reported_with_its_index() {
        let long = "a".repeat(501);
        let err = PatternSet::parse(vec!["ok".into(), "[invalid".into(), long, String::new()]).unwrap_err();
        let RedactionError::InvalidPatterns(issues) = err else { panic!("{err:?}") };
        assert_eq!(
            issues,
            vec![
                Problem::new(validation::loc!["patterns", 1], "Invalid regex pattern: [invalid"),
                Problem::new(validation::loc!["patterns", 2], "Pattern exceeds maximum length of 500 characters"),
                Problem::new(validation::loc!["patterns", 3], "Pattern cannot be empty"),
            ]
        );
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert!(PatternSet::parse(vec!["ż".repeat(500)]).is_ok());
    }

    #[test]
    fn patterns_too_costly_to_compile_are_invalid() {
        let err = PatternSet::parse(vec![r"\w{1000}{1000}".into()]).unwrap_err();
        assert!(matches!(err, RedactionError::InvalidPatterns(_)));
    }

    #[test]
    fn duplicates_are_kept_once_at_their_first_position() {
        let set = PatternSet::parse(strings(&["b", "a", "b"])).unwrap();
        assert_eq!(set.patterns(), strings(&["b", "a"]).as_slice());
    }
}
