//! What the features page reads from a feature file itself, which the Cucumber JSON leaves out:
//! the feature's description, and how the file groups its scenarios (Rules, Scenario Outlines and
//! their Examples). Read line by line, as the page needs no more of Gherkin than where each
//! block starts.

/// Where a scenario sits in its file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    /// The `Rule:` it is under.
    pub rule: Option<String>,
    /// The `Scenario Outline:` it is an example of: its line and name.
    pub outline: Option<(usize, String)>,
}

/// One block header of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    Rule(String),
    Scenario,
    Outline(String),
    Other,
}

/// A feature file's outline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureFile {
    /// The free text under `Feature:`, its lines trimmed.
    pub description: String,
    /// Block headers by 1-based line.
    blocks: Vec<(usize, Block)>,
}

/// The keyword a line opens a block with, and the rest of the line.
fn header(line: &str) -> Option<(&'static str, &str)> {
    let t = line.trim_start();
    for keyword in
        ["Feature", "Rule", "Background", "Scenario Outline", "Scenario Template", "Scenario", "Example", "Examples"]
    {
        if let Some(rest) = t.strip_prefix(keyword).and_then(|r| r.strip_prefix(':')) {
            return Some((keyword, rest.trim()));
        }
    }
    None
}

impl FeatureFile {
    pub fn parse(text: &str) -> FeatureFile {
        let mut file = FeatureFile::default();
        let mut description: Option<Vec<&str>> = None;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            match header(line) {
                Some(("Feature", _)) => description = Some(vec![]),
                Some((keyword, name)) => {
                    if let Some(lines) = description.take() {
                        file.description = lines.join("\n").trim().to_string();
                    }
                    let block = match keyword {
                        "Rule" => Block::Rule(name.to_string()),
                        "Scenario Outline" | "Scenario Template" => Block::Outline(name.to_string()),
                        "Scenario" | "Example" => Block::Scenario,
                        _ => Block::Other,
                    };
                    file.blocks.push((i + 1, block));
                }
                None => {
                    // Tags and comments end a description too: they belong to the next block.
                    if t.starts_with('@') || t.starts_with('#') {
                        if let Some(lines) = description.take() {
                            file.description = lines.join("\n").trim().to_string();
                        }
                    } else if let Some(lines) = description.as_mut() {
                        lines.push(t);
                    }
                }
            }
        }
        if let Some(lines) = description {
            file.description = lines.join("\n").trim().to_string();
        }
        file
    }

    /// Where the scenario (or outline example) at `line` sits.
    pub fn placement(&self, line: usize) -> Placement {
        let mut placement = Placement::default();
        for (at, block) in self.blocks.iter().filter(|(at, _)| *at <= line) {
            match block {
                Block::Rule(name) => placement = Placement { rule: Some(name.clone()), outline: None },
                Block::Outline(name) => placement.outline = Some((*at, name.clone())),
                Block::Scenario => placement.outline = None,
                Block::Other => {}
            }
        }
        placement
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "@dns\nFeature: Multi-site DNS\n  Each site's clients get their own site.\n  Outside clients get nothing.\n\n  Background:\n    Given a lab\n\n  Scenario: one\n    Then x\n\n  Scenario Outline: by address\n    Then <a>\n    Examples:\n      | a |\n      | 1 |\n      | 2 |\n\n  Rule: Outside\n    Scenario: two\n      Then y\n";

    #[test]
    fn the_description_is_the_text_under_the_feature_line() {
        assert_eq!(
            FeatureFile::parse(FILE).description,
            "Each site's clients get their own site.\nOutside clients get nothing."
        );
        assert_eq!(FeatureFile::parse("Feature: x\n  @t\n  Scenario: y\n").description, "");
    }

    #[test]
    fn scenarios_are_placed_under_their_outline_and_rule() {
        let file = FeatureFile::parse(FILE);
        assert_eq!(file.placement(9), Placement::default());
        assert_eq!(file.placement(16), Placement { rule: None, outline: Some((12, "by address".into())) });
        assert_eq!(file.placement(20), Placement { rule: Some("Outside".into()), outline: None });
    }
}
