//! Did-you-mean: the name in scope closest to a misspelt one, for the hints of `unknown
//! name` and `unknown effect`. Closeness is the Damerau–Levenshtein distance (optimal string
//! alignment: a swap of two neighbouring letters counts one edit) ignoring case, and a name
//! is suggested only when it is at most a third of the misspelt name's length away, as
//! rustc does, and closer than the whole name (so `y` does not suggest `x`).

use super::Resolver;
use crate::stdlib;

/// The keywords that are values, suggested for a misspelt name.
const VALUE_KEYWORDS: [&str; 2] = ["false", "true"];

/// The candidate closest to `name`, if one is close enough; of several as close, the first.
fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let len = name.chars().count();
    let limit = (len.max(3) / 3).min(len.saturating_sub(1));
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let d = strsim::osa_distance(&lower, &candidate.to_lowercase());
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// `names` sorted, so that of several names as close the same one is always suggested.
fn sorted<'a>(names: impl Iterator<Item = &'a String>) -> Vec<&'a str> {
    let mut names: Vec<&str> = names.map(String::as_str).collect();
    names.sort_unstable();
    names
}

impl Resolver<'_> {
    /// The name a misspelt `name` most likely meant: a local in scope (the innermost
    /// function's first), a global, a library or built-in function, or `true` or `false`
    /// (the keywords that stand where a name can: a misspelt `while` or `for` is a syntax
    /// error, never an unknown name, and `foo(1)` must not suggest `for`).
    pub(super) fn similar_name(&self, name: &str) -> Option<String> {
        let mut candidates: Vec<&str> = Vec::new();
        for f in self.fns.iter().rev() {
            candidates.extend(sorted(f.scopes.names()));
        }
        candidates.extend(sorted(self.env.globals.keys()));
        candidates.extend(sorted(self.env.library.keys()));
        candidates.extend(stdlib::all().map(|b| b.name));
        candidates.extend(VALUE_KEYWORDS);
        closest(name, candidates)
    }

    /// The declared operation a misspelt `name` most likely meant.
    pub(super) fn similar_operation(&self, name: &str) -> Option<String> {
        closest(name, sorted(self.env.effects.keys()))
    }
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn the_closest_name_within_a_third_of_the_length_is_suggested() {
        let names = ["greeting", "greet", "total", "Yield", "println"];
        let suggest = |name| closest(name, names);
        assert_eq!(suggest("greetng").as_deref(), Some("greeting"));
        assert_eq!(suggest("sorting"), None);
        assert_eq!(suggest("Yeild").as_deref(), Some("Yield"));
        assert_eq!(suggest("YIELD").as_deref(), Some("Yield"));
        assert_eq!(suggest("pritnln").as_deref(), Some("println"));
        assert_eq!(suggest("totl").as_deref(), Some("total"));
        assert_eq!(suggest("greeting"), None, "the name itself");
        assert_eq!(closest("y", ["x"]), None, "one letter is the whole name");
        assert_eq!(
            closest("xs", ["ys", "zs"]).as_deref(),
            Some("ys"),
            "the first"
        );
    }
}
