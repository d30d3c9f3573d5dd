//! Record ids: a readable prefix and a time-ordered UUID (version 7), made in one place
//! ([`new_id`]) for every table. Time order keeps B-tree inserts at the end of the index and
//! lists in creation order; the prefix says what an id names in logs and URLs (`pri_…` for a
//! privacy request, as the spec writes it).

/// A new id `<prefix>_<uuid v7>`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", new_uuid())
}

/// A new bare time-ordered UUID, for records whose contract shows plain UUIDs (notices, RoPA).
pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Declares an id newtype with its prefix: `id_type!(RequestId, "pri")`.
#[macro_export]
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord,
            $crate::__private::serde::Serialize, $crate::__private::serde::Deserialize,
        )]
        #[serde(crate = "db::__private::serde", transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The prefix of these ids.
            pub const PREFIX: &'static str = $prefix;

            /// A new, time-ordered id.
            pub fn new() -> $name {
                $name($crate::id::new_id($prefix))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> $name {
                $name::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> $name {
                $name(id)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_prefix_and_sort_by_creation() {
        let first = new_id("pri");
        let second = new_id("pri");
        assert!(first.starts_with("pri_") && first.len() == 4 + 36, "{first}");
        assert!(first < second, "time-ordered: {first} < {second}");
        assert_eq!(uuid::Uuid::parse_str(&first[4..]).map(|u| u.get_version_num()).ok(), Some(7));
    }
}
