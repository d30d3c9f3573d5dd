//! The fideslang default taxonomy (data categories, data uses, data subjects), embedded in the
//! binary from `data/fideslang-taxonomy.json` (fideslang 3.1.4, Apache-2.0).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const EMBEDDED: &str = include_str!("../data/fideslang-taxonomy.json");

/// One taxonomy entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TaxonomyItem {
    /// Dotted key, e.g. `user.contact.email`.
    pub fides_key: String,
    /// Human name.
    pub name: String,
    /// The parent's key; absent at the top.
    #[serde(default)]
    pub parent_key: Option<String>,
}

#[derive(Deserialize)]
struct File {
    taxonomy: Lists,
}

#[derive(Deserialize)]
struct Lists {
    data_categories: Vec<TaxonomyItem>,
    data_uses: Vec<TaxonomyItem>,
    data_subjects: Vec<TaxonomyItem>,
}

/// The taxonomy with fast key lookups.
#[derive(Debug, Clone)]
pub struct Taxonomy {
    categories: Vec<TaxonomyItem>,
    uses: Vec<TaxonomyItem>,
    subjects: Vec<TaxonomyItem>,
    category_names: HashMap<String, String>,
    use_names: HashMap<String, String>,
    subject_names: HashMap<String, String>,
}

fn names(items: &[TaxonomyItem]) -> HashMap<String, String> {
    items.iter().map(|item| (item.fides_key.clone(), item.name.clone())).collect()
}

impl Taxonomy {
    /// The taxonomy shipped in the binary.
    ///
    /// # Panics
    /// Never in practice: the embedded file is checked by a unit test.
    pub fn embedded() -> Taxonomy {
        #[expect(clippy::expect_used, reason = "the embedded file is fixed at build time and tested")]
        let file: File = serde_json::from_str(EMBEDDED).expect("embedded taxonomy parses");
        Taxonomy {
            category_names: names(&file.taxonomy.data_categories),
            use_names: names(&file.taxonomy.data_uses),
            subject_names: names(&file.taxonomy.data_subjects),
            categories: file.taxonomy.data_categories,
            uses: file.taxonomy.data_uses,
            subjects: file.taxonomy.data_subjects,
        }
    }

    /// Data categories.
    pub fn data_categories(&self) -> &[TaxonomyItem] {
        &self.categories
    }

    /// Data uses.
    pub fn data_uses(&self) -> &[TaxonomyItem] {
        &self.uses
    }

    /// Data subjects.
    pub fn data_subjects(&self) -> &[TaxonomyItem] {
        &self.subjects
    }

    /// True when `key` is a data category.
    pub fn is_data_category(&self, key: &str) -> bool {
        self.category_names.contains_key(key)
    }

    /// True when `key` is a data use.
    pub fn is_data_use(&self, key: &str) -> bool {
        self.use_names.contains_key(key)
    }

    /// True when `key` is a data subject.
    pub fn is_data_subject(&self, key: &str) -> bool {
        self.subject_names.contains_key(key)
    }

    /// The human name of a data category, data use or data subject key.
    pub fn name_of(&self, key: &str) -> Option<&str> {
        self.category_names
            .get(key)
            .or_else(|| self.use_names.get(key))
            .or_else(|| self.subject_names.get(key))
            .map(String::as_str)
    }
}

macro_rules! key_schema {
    ($($(#[$doc:meta])* $name:ident => $list:ident, $what:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let keys: Vec<String> = Taxonomy::embedded().$list().iter().map(|i| i.fides_key.clone()).collect();
                validation::text::one_of(
                    concat!("A ", $what, " of the fideslang taxonomy (`GET /api/v1/", stringify!($list), "`)"),
                    keys,
                )
            }
        }

        impl ToSchema for $name {}
    )+};
}

key_schema! {
    /// The schema of a data category key: one of the embedded taxonomy's.
    DataCategoryKey => data_categories, "data category";
    /// The schema of a data use key: one of the embedded taxonomy's.
    DataUseKey => data_uses, "data use";
    /// The schema of a data subject key: one of the embedded taxonomy's.
    DataSubjectKey => data_subjects, "data subject";
}

/// True when `ancestor` is `key` or one of its parents in dotted notation.
pub fn is_same_or_ancestor(ancestor: &str, key: &str) -> bool {
    key == ancestor || key.strip_prefix(ancestor).is_some_and(|rest| rest.starts_with('.'))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn embedded_taxonomy_parses_and_is_consistent() {
        let taxonomy = Taxonomy::embedded();
        assert!(taxonomy.data_categories().len() > 80);
        assert!(taxonomy.data_uses().len() > 50);
        assert_eq!(taxonomy.data_subjects().len(), 15);
        assert!(taxonomy.is_data_category("user.contact.email"));
        assert!(!taxonomy.is_data_category("user.contact.telepathy"));
        for list in [taxonomy.data_categories(), taxonomy.data_uses(), taxonomy.data_subjects()] {
            let keys: HashSet<&str> = list.iter().map(|i| i.fides_key.as_str()).collect();
            assert_eq!(keys.len(), list.len(), "keys are unique");
            for item in list {
                if let Some(parent) = &item.parent_key {
                    assert!(keys.contains(parent.as_str()), "{} has unknown parent {parent}", item.fides_key);
                    assert!(is_same_or_ancestor(parent, &item.fides_key));
                }
            }
        }
    }

    #[test]
    fn ancestry_follows_dotted_segments() {
        assert!(is_same_or_ancestor("user", "user.contact.email"));
        assert!(is_same_or_ancestor("user.contact", "user.contact"));
        assert!(!is_same_or_ancestor("user.contact", "user.contacts"));
        assert!(!is_same_or_ancestor("user.contact.email", "user.contact"));
    }
}
