//! Microsoft's reference lists, as data: every cmdlet of the DnsServer module of Windows Server
//! 2016 and every Skype for Business and Teams cmdlet, with the documented parameters of the
//! cmdlets the lab models (`reference/dnsserver.txt`, `reference/skype.txt`; each file names the
//! pages and the commit it was taken from). They let the runner give one clear answer for every
//! name: modelled, a real cmdlet or parameter that the lab does not model, or (only for names
//! that exist nowhere) PowerShell's "not recognized".

const DNSSERVER: &str = include_str!("reference/dnsserver.txt");
const SKYPE: &str = include_str!("reference/skype.txt");

/// Each documented cmdlet and the parameters its page lists (none for the unmodelled Skype ones).
fn cmdlets() -> impl Iterator<Item = (&'static str, std::str::SplitWhitespace<'static>)> {
    DNSSERVER.lines().chain(SKYPE.lines()).filter(|l| !l.is_empty() && !l.starts_with('#')).filter_map(|line| {
        let mut words = line.split_whitespace();
        words.next().map(|name| (name, words))
    })
}

/// Whether Microsoft's reference documents a cmdlet called `name` (any case).
pub fn is_documented(name: &str) -> bool {
    cmdlets().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// The documented parameter of `cmdlet` that `written` names: the exact name, or the only one it
/// is a prefix of.
pub fn documented_parameter(cmdlet: &str, written: &str) -> Option<&'static str> {
    let (_, params) = cmdlets().find(|(n, _)| n.eq_ignore_ascii_case(cmdlet))?;
    let params: Vec<&'static str> = params.collect();
    if let Some(exact) = params.iter().find(|p| p.eq_ignore_ascii_case(written)) {
        return Some(exact);
    }
    let lower = written.to_ascii_lowercase();
    match params.iter().filter(|p| p.to_ascii_lowercase().starts_with(&lower)).collect::<Vec<_>>().as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// Every documented parameter of `cmdlet`.
pub fn documented_parameters(cmdlet: &str) -> Vec<&'static str> {
    cmdlets().find(|(n, _)| n.eq_ignore_ascii_case(cmdlet)).map(|(_, p)| p.collect()).unwrap_or_default()
}

/// The refusal of a documented parameter the lab does not model: the statement does not run.
pub fn unmodelled_parameter(cmdlet: &str, parameter: &str) -> String {
    format!("-{parameter} is a real parameter of {cmdlet} that this lab does not model, so the statement did not run; the modelled parameters are listed by `bypass-lab cmdlets`.")
}

/// Every documented cmdlet's name, for the runner's tests.
#[cfg(test)]
pub(crate) mod tests_support {
    pub fn names() -> Vec<&'static str> {
        super::cmdlets().map(|(n, _)| n).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_hold_the_modules_cmdlets_and_parameters() {
        assert!(is_documented("Set-DnsServerRecursionScope") && is_documented("set-cstenantfederationconfiguration"));
        assert!(!is_documented("Get-CsNetworkConfigration"));
        assert_eq!(documented_parameter("Add-DnsServerQueryResolutionPolicy", "applyonrec"), Some("ApplyOnRecursion"));
        assert_eq!(
            documented_parameter("Set-CsUserPstnSettings", "AllowInternationalCalls"),
            Some("AllowInternationalCalls")
        );
        assert_eq!(documented_parameter("Add-DnsServerResourceRecord", "Nope"), None);
        assert_eq!(cmdlets().filter(|(n, _)| n.contains("-DnsServer")).count(), 131);
    }
}
