//! Script of a letter. Most scripts name their language outright, so deciding by
//! script is both the fastest and the most reliable step of detection: only Latin,
//! Cyrillic, Arabic, Devanagari and Hebrew text goes on to finer evidence.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    Latin,
    Cyrillic,
    Greek,
    Armenian,
    Hebrew,
    Arabic,
    Devanagari,
    Bengali,
    Gurmukhi,
    Gujarati,
    Oriya,
    Tamil,
    Telugu,
    Kannada,
    Malayalam,
    Sinhala,
    Thai,
    Myanmar,
    Georgian,
    Ethiopic,
    Khmer,
    Hangul,
    Kana,
    Han,
    Other,
}

impl Script {
    pub(crate) const COUNT: usize = Script::Other as usize + 1;

    pub(crate) fn of(c: char) -> Script {
        let u = c as u32;
        match u {
            0x41..=0x5a | 0x61..=0x7a => Script::Latin,
            0xc0..=0x24f if u != 0xd7 && u != 0xf7 => Script::Latin,
            0x1e00..=0x1eff => Script::Latin,
            0x370..=0x3ff | 0x1f00..=0x1fff => Script::Greek,
            0x400..=0x52f => Script::Cyrillic,
            0x530..=0x58f => Script::Armenian,
            0x590..=0x5ff => Script::Hebrew,
            0x600..=0x6ff | 0x750..=0x77f | 0xfb50..=0xfdff | 0xfe70..=0xfeff => Script::Arabic,
            0x900..=0x97f => Script::Devanagari,
            0x980..=0x9ff => Script::Bengali,
            0xa00..=0xa7f => Script::Gurmukhi,
            0xa80..=0xaff => Script::Gujarati,
            0xb00..=0xb7f => Script::Oriya,
            0xb80..=0xbff => Script::Tamil,
            0xc00..=0xc7f => Script::Telugu,
            0xc80..=0xcff => Script::Kannada,
            0xd00..=0xd7f => Script::Malayalam,
            0xd80..=0xdff => Script::Sinhala,
            0xe00..=0xe7f => Script::Thai,
            0x1000..=0x109f => Script::Myanmar,
            0x10a0..=0x10ff => Script::Georgian,
            0x1200..=0x137f => Script::Ethiopic,
            0x1780..=0x17ff => Script::Khmer,
            0x1100..=0x11ff | 0x3130..=0x318f | 0xac00..=0xd7af => Script::Hangul,
            0x3040..=0x30ff => Script::Kana,
            0x3400..=0x4dbf | 0x4e00..=0x9fff => Script::Han,
            _ => Script::Other,
        }
    }
}

/// Letters counted per script while cleaning a text.
#[derive(Debug, Default, Clone)]
pub(crate) struct ScriptCounts {
    counts: [u32; Script::COUNT],
    pub(crate) letters: u32,
}

impl ScriptCounts {
    #[inline]
    pub(crate) fn add(&mut self, script: Script) {
        self.counts[script as usize] += 1;
        self.letters += 1;
    }

    pub(crate) fn get(&self, script: Script) -> u32 {
        self.counts[script as usize]
    }

    /// The script with most letters, counting kana and Han together as Japanese when
    /// kana is a real part of it (Japanese mixes both; Chinese has no kana).
    pub(crate) fn dominant(&self) -> Option<(Script, u32)> {
        let mut best: Option<(Script, u32)> = None;
        for (i, &n) in self.counts.iter().enumerate() {
            if n > 0 && best.is_none_or(|(_, b)| n > b) {
                best = Some((SCRIPTS[i], n));
            }
        }
        let (script, n) = best?;
        let (han, kana) = (self.get(Script::Han), self.get(Script::Kana));
        if matches!(script, Script::Han | Script::Kana) {
            let cjk = han + kana;
            let script = if kana * 10 >= cjk {
                Script::Kana
            } else {
                Script::Han
            };
            return Some((script, cjk.max(n)));
        }
        Some((script, n))
    }
}

const SCRIPTS: [Script; Script::COUNT] = [
    Script::Latin,
    Script::Cyrillic,
    Script::Greek,
    Script::Armenian,
    Script::Hebrew,
    Script::Arabic,
    Script::Devanagari,
    Script::Bengali,
    Script::Gurmukhi,
    Script::Gujarati,
    Script::Oriya,
    Script::Tamil,
    Script::Telugu,
    Script::Kannada,
    Script::Malayalam,
    Script::Sinhala,
    Script::Thai,
    Script::Myanmar,
    Script::Georgian,
    Script::Ethiopic,
    Script::Khmer,
    Script::Hangul,
    Script::Kana,
    Script::Han,
    Script::Other,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_letters() {
        assert_eq!(Script::of('ż'), Script::Latin);
        assert_eq!(Script::of('ї'), Script::Cyrillic);
        assert_eq!(Script::of('λ'), Script::Greek);
        assert_eq!(Script::of('ש'), Script::Hebrew);
        assert_eq!(Script::of('ب'), Script::Arabic);
        assert_eq!(Script::of('한'), Script::Hangul);
        assert_eq!(Script::of('の'), Script::Kana);
        assert_eq!(Script::of('中'), Script::Han);
        assert_eq!(Script::of('×'), Script::Other);
    }

    #[test]
    fn japanese_is_han_plus_kana() {
        let mut c = ScriptCounts::default();
        "日本語のテキストです"
            .chars()
            .for_each(|ch| c.add(Script::of(ch)));
        assert_eq!(c.dominant().unwrap().0, Script::Kana);
        let mut c = ScriptCounts::default();
        "这是中文文本".chars().for_each(|ch| c.add(Script::of(ch)));
        assert_eq!(c.dominant().unwrap().0, Script::Han);
    }

    #[test]
    fn all_scripts_listed_in_order() {
        for (i, s) in SCRIPTS.iter().enumerate() {
            assert_eq!(*s as usize, i);
        }
    }
}
