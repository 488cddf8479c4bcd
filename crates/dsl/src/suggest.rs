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
}
