//! "Did you mean": the known words nearest to a misspelt one, by edit distance (insertions,
//! deletions, substitutions and swaps of neighbours, case-insensitive).

/// Edit distance with adjacent transpositions (optimal string alignment), ignoring case.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// The candidates nearest to `word` that are close enough to be what was meant (at most `limit`).
/// Close enough: at most a quarter of the word's letters differ, and at most 4.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, limit: usize) -> Vec<&'a str> {
    let allowed = (word.chars().count() / 4).min(4);
    let mut scored: Vec<(usize, &str)> =
        candidates.into_iter().map(|c| (distance(word, c), c)).filter(|(d, _)| *d > 0 && *d <= allowed).collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1.eq_ignore_ascii_case(b.1));
    // Only the nearest: a name one letter off beats one two letters off.
    let best = scored.first().map(|(d, _)| *d);
    scored.into_iter().take_while(|(d, _)| Some(*d) == best).take(limit).map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_the_cmdlet_and_short_fragments_find_nothing() {
        let names = ["Get-CsNetworkConfiguration", "Set-CsNetworkConfiguration", "Get-CsTenantHybridConfiguration"];
        assert_eq!(nearest("Get-CsNetworkConfigration", names, 3), vec!["Get-CsNetworkConfiguration"]);
        assert_eq!(nearest("get-csnetwrokconfiguration", names, 3), vec!["Get-CsNetworkConfiguration"]);
        assert_eq!(nearest("Get-", names, 3), Vec::<&str>::new());
        assert_eq!(distance("ab", "ba"), 1);
    }
}
