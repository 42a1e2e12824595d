//! Converts the YAML parser's character positions into byte offsets of the source text.

/// Checkpoints every `STRIDE` characters keep the index small even for multi-megabyte files while
/// a lookup walks at most `STRIDE - 1` characters.
const STRIDE: usize = 64;

pub struct SourceIndex<'a> {
    text: &'a str,
    /// Byte offset of every `STRIDE`-th character; empty for ASCII text, where the two agree.
    checkpoints: Vec<usize>,
}

impl<'a> SourceIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let checkpoints = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().step_by(STRIDE).map(|(byte, _)| byte).collect()
        };
        SourceIndex { text, checkpoints }
    }

    /// Byte offset of the character at `char_index`; the end of the text for positions past it.
    pub fn byte_offset(&self, char_index: usize) -> usize {
        if self.checkpoints.is_empty() {
            return char_index.min(self.text.len());
        }
        let Some(&base) = self.checkpoints.get(char_index / STRIDE) else {
            return self.text.len();
        };
        self.text[base..]
            .char_indices()
            .nth(char_index % STRIDE)
            .map_or(self.text.len(), |(offset, _)| base + offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_characters_to_bytes() {
        let text = "é".repeat(200) + "x";
        let index = SourceIndex::new(&text);
        assert_eq!(index.byte_offset(0), 0);
        assert_eq!(index.byte_offset(70), 140);
        assert_eq!(index.byte_offset(200), 400);
        assert_eq!(index.byte_offset(201), 401);
        assert_eq!(SourceIndex::new("abc").byte_offset(2), 2);
    }
}
