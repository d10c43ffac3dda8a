pub fn compose_file(_t: &crate::topology::Topology) -> String { String::new() }
