//! The picture as a Mermaid `flowchart`: a subgraph per site, the tenant, DNS server and outside
//! around them. Node identifiers are generated (`s3`, `s3a1`), so only labels carry plan text,
//! and labels use Mermaid's entity codes for the characters that would end or break them.

use super::picture::Picture;
use std::fmt::Write as _;

/// A label for use between double quotes: `#` first, since the entity codes start with it.
fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn render(picture: &Picture) -> String {
    let mut out = String::from("flowchart TB\n");
    let _ = writeln!(
        out,
        "  tenant([\"Skype for Business Online (tenant)<br/>{}<br/>service {}\"])",
        label(&picture.tenant.domain),
        label(&picture.tenant.service_name)
    );
    let _ = writeln!(
        out,
        "  dns[(\"Internal DNS server<br/>Windows Server 2016 policies for {}\")]",
        label(&picture.tenant.service_name)
    );
    let subnets: Vec<String> = picture.outside.subnets.iter().map(|s| label(s)).collect();
    let _ = writeln!(out, "  outside[/\"Outside (external clients)<br/>{}\"/]", subnets.join("<br/>"));
    let _ = writeln!(out, "  outside -. internet .- tenant");
    for (i, site) in picture.sites.iter().enumerate() {
        let _ = writeln!(out, "  subgraph s{i}[\"{}\"]", label(&site.name));
        let subnets: Vec<String> = site.subnets.iter().map(|s| label(s)).collect();
        let _ = writeln!(out, "    s{i}net[\"subnets {}\"]", subnets.join(", "));
        let _ = writeln!(out, "    s{i}gw{{{{\"gateway {}\"}}}}", site.gateway);
        for (j, a) in site.appliances.iter().enumerate() {
            let _ = writeln!(out, "    s{i}a{j}[\"{}<br/>{}\"]", label(&a.name), a.address);
        }
        out.push_str("  end\n");
        let leg = site.dns.map(|d| format!("|{d}|")).unwrap_or_default();
        let _ = writeln!(out, "  dns -.-{leg} s{i}net");
        for j in 0..site.appliances.len() {
            let _ = writeln!(out, "  tenant --> s{i}a{j}");
            let _ = writeln!(out, "  s{i}a{j} --- s{i}gw");
        }
    }
    out.push_str("  classDef appliance fill:#dff1e3,stroke:#2e7d32\n");
    let appliances: Vec<String> = picture
        .sites
        .iter()
        .enumerate()
        .flat_map(|(i, s)| (0..s.appliances.len()).map(move |j| format!("s{i}a{j}")))
        .collect();
    if !appliances.is_empty() {
        let _ = writeln!(out, "  class {} appliance", appliances.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_end_a_quoted_label() {
        assert_eq!(label(r#"a "b" <c> #1 & d"#), "a #quot;b#quot; #lt;c#gt; #35;1 #amp; d");
    }
}
