//! Turns a decoder error's line and column back into the JSON path of the field at fault.
//!
//! `serde_json` reports where in the text it stopped, not which field it was reading. Scanning the
//! text up to that point while tracking object keys and array indices recovers the path, so the
//! wire types can stay plain `#[derive(Deserialize)]` structs.

/// One step of a JSON path.
#[derive(Debug)]
enum Step {
    /// Inside an object: the current key, and whether a key (rather than a value) comes next.
    Key { key: String, expecting_key: bool },
    /// Inside an array: the index of the current element.
    Index(usize),
}

/// The byte offset of a 1-based `line` and byte `column` (as `serde_json` counts them) in `text`,
/// clamped to the text's length.
pub(super) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    line_start.saturating_add(column).min(text.len())
}

/// The JSON path (`a.b[3].c`) of the value being read at byte `offset` of `text`.
///
/// Only the bytes before `offset` are looked at, so a value that ends exactly there is still
/// "current" and a container that starts there is not yet entered. Never panics, whatever the text.
pub(super) fn path_at(text: &str, offset: usize) -> String {
    let bytes = text.as_bytes();
    let end = offset.min(bytes.len());
    let mut stack: Vec<Step> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i = start;
                while i < end && bytes[i] != b'"' {
                    // Skip the escaped byte so `\"` does not end the string.
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Step::Key { key, expecting_key }) = stack.last_mut()
                    && *expecting_key
                {
                    let stop = i.min(end);
                    *key = String::from_utf8_lossy(&bytes[start.min(stop)..stop]).into_owned();
                }
            }
            b'{' => stack.push(Step::Key {
                key: String::new(),
                expecting_key: true,
            }),
            b'[' => stack.push(Step::Index(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b':' => {
                if let Some(Step::Key { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = false;
                }
            }
            b',' => match stack.last_mut() {
                Some(Step::Key { expecting_key, .. }) => *expecting_key = true,
                Some(Step::Index(n)) => *n += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    render(&stack)
}

/// Renders steps as `a.b[3].c`, leaving out an object whose next key has not been read yet.
fn render(stack: &[Step]) -> String {
    let mut out = String::new();
    for step in stack {
        match step {
            Step::Key { key, expecting_key } => {
                if *expecting_key || key.is_empty() {
                    break;
                }
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(n) => {
                out.push('[');
                out.push_str(&n.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// `path.field`, or just `field` at the root.
pub(super) fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_keys_and_indices() {
        let text = r#"{"zones": [{"id": "a"}, {"id": "b", "bounds": {"x": 1, "y": true}}]}"#;
        let at = text.find("true").expect("fixture has `true`") + 4;
        assert_eq!(path_at(text, at), "zones[1].bounds.y");
        let escaped = r#"{"a\"b": {"c": 1}}"#;
        assert_eq!(path_at(escaped, escaped.len() - 2), r#"a\"b.c"#);
        assert_eq!(path_at(text, 0), "");
        assert_eq!(
            path_at("{\"x\":", 1000),
            "x",
            "offsets past the end are clamped"
        );
    }

    #[test]
    fn offsets_count_lines_and_columns() {
        let text = "ab\ncde\nf";
        assert_eq!(offset_of(text, 1, 1), 1);
        assert_eq!(offset_of(text, 2, 2), 5);
        assert_eq!(offset_of(text, 3, 0), 7);
        assert_eq!(offset_of(text, 9, 9), text.len(), "clamped");
    }
}
