//! "Did you mean ...?" for every unknown name.

/// The closest candidate to `name`, if one is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(name, candidate);
        let close = score >= 0.8 || (name.len() > 3 && candidate.contains(name));
        if close && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// Whether `name` is a misspelling of `known` rather than another word:
/// one edit away (two for names longer than 4 characters, a swap of two
/// letters being one), or the same but for case. Stricter than
/// [`did_you_mean`], since it decides an error where other names may
/// exist (`data` is a ConfigMap's field, not a misspelt `metadata`).
pub fn is_misspelling(name: &str, known: &str) -> bool {
    if name == known {
        return false;
    }
    if name.eq_ignore_ascii_case(known) {
        return true;
    }
    let allowed = if known.chars().count() > 4 { 2 } else { 1 };
    strsim::damerau_levenshtein(name, known) <= allowed
}

/// A help line: "did you mean `x`?", or the list of what exists when there is no close match.
pub fn help_for<'a>(
    what: &str,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut candidates: Vec<&str> = candidates.into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|c| seen.insert(*c));
    if let Some(best) = did_you_mean(name, candidates.iter().copied()) {
        return Some(format!("did you mean `{best}`?"));
    }
    known_list(what, candidates)
}

/// A help line listing what exists (at most 8, then how many more).
pub fn known_list<'a>(what: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut candidates: Vec<&str> = candidates.into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|c| seen.insert(*c));
    if candidates.is_empty() {
        return None;
    }
    let mut shown: Vec<String> = candidates
        .iter()
        .take(8)
        .map(|c| format!("`{c}`"))
        .collect();
    if candidates.len() > 8 {
        shown.push(format!("and {} more", candidates.len() - 8));
    }
    Some(format!("the {what}s are: {}", shown.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("restart_pod", ["restart_pods", "logs"]),
            Some("restart_pods")
        );
        assert_eq!(did_you_mean("zzz", ["restart_pods", "logs"]), None);
    }

    #[test]
    fn misspellings_are_close_and_other_words_are_not() {
        assert!(is_misspelling("nmae", "name"));
        assert!(is_misspelling("phse", "phase"));
        assert!(is_misspelling("podIp", "podIP"));
        assert!(is_misspelling("restartCont", "restartCount"));
        assert!(!is_misspelling("data", "metadata"));
        assert!(!is_misspelling("type", "spec"));
        assert!(!is_misspelling("name", "name"));
        assert!(!is_misspelling("count", "kind"));
    }
}
