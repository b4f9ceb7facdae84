//! The languages whatlang knows, with the ISO 639-1 code we store and the script
//! family each is written in. Index into [`LANGS`] is the language id used in the
//! bit masks of this module (`u128`, one bit per language).

use whatlang::Lang;

use super::script::Script;

pub(crate) struct LangInfo {
    pub(crate) lang: Lang,
    pub(crate) code: &'static str,
    pub(crate) script: Script,
}

const fn li(lang: Lang, code: &'static str, script: Script) -> LangInfo {
    LangInfo { lang, code, script }
}

use Script as S;

pub(crate) static LANGS: &[LangInfo] = &[
    li(Lang::Eng, "en", S::Latin),
    li(Lang::Pol, "pl", S::Latin),
    li(Lang::Deu, "de", S::Latin),
    li(Lang::Spa, "es", S::Latin),
    li(Lang::Fra, "fr", S::Latin),
    li(Lang::Ita, "it", S::Latin),
    li(Lang::Ces, "cs", S::Latin),
    li(Lang::Slk, "sk", S::Latin),
    li(Lang::Por, "pt", S::Latin),
    li(Lang::Nld, "nl", S::Latin),
    li(Lang::Swe, "sv", S::Latin),
    li(Lang::Dan, "da", S::Latin),
    li(Lang::Nob, "nb", S::Latin),
    li(Lang::Fin, "fi", S::Latin),
    li(Lang::Hun, "hu", S::Latin),
    li(Lang::Ron, "ro", S::Latin),
    li(Lang::Tur, "tr", S::Latin),
    li(Lang::Hrv, "hr", S::Latin),
    li(Lang::Slv, "sl", S::Latin),
    li(Lang::Lit, "lt", S::Latin),
    li(Lang::Lav, "lv", S::Latin),
    li(Lang::Est, "et", S::Latin),
    li(Lang::Cat, "ca", S::Latin),
    li(Lang::Epo, "eo", S::Latin),
    li(Lang::Lat, "la", S::Latin),
    li(Lang::Ind, "id", S::Latin),
    li(Lang::Jav, "jv", S::Latin),
    li(Lang::Vie, "vi", S::Latin),
    li(Lang::Tgl, "tl", S::Latin),
    li(Lang::Afr, "af", S::Latin),
    li(Lang::Aze, "az", S::Latin),
    li(Lang::Uzb, "uz", S::Latin),
    li(Lang::Tuk, "tk", S::Latin),
    li(Lang::Zul, "zu", S::Latin),
    li(Lang::Sna, "sn", S::Latin),
    li(Lang::Aka, "ak", S::Latin),
    li(Lang::Cym, "cy", S::Latin),
    li(Lang::Rus, "ru", S::Cyrillic),
    li(Lang::Ukr, "uk", S::Cyrillic),
    li(Lang::Bel, "be", S::Cyrillic),
    li(Lang::Bul, "bg", S::Cyrillic),
    li(Lang::Srp, "sr", S::Cyrillic),
    li(Lang::Mkd, "mk", S::Cyrillic),
    li(Lang::Ell, "el", S::Greek),
    li(Lang::Heb, "he", S::Hebrew),
    li(Lang::Yid, "yi", S::Hebrew),
    li(Lang::Ara, "ar", S::Arabic),
    li(Lang::Pes, "fa", S::Arabic),
    li(Lang::Urd, "ur", S::Arabic),
    li(Lang::Hin, "hi", S::Devanagari),
    li(Lang::Mar, "mr", S::Devanagari),
    li(Lang::Nep, "ne", S::Devanagari),
    li(Lang::Cmn, "zh", S::Han),
    li(Lang::Jpn, "ja", S::Kana),
    li(Lang::Kor, "ko", S::Hangul),
    li(Lang::Tha, "th", S::Thai),
    li(Lang::Kat, "ka", S::Georgian),
    li(Lang::Hye, "hy", S::Armenian),
    li(Lang::Ben, "bn", S::Bengali),
    li(Lang::Tam, "ta", S::Tamil),
    li(Lang::Tel, "te", S::Telugu),
    li(Lang::Kan, "kn", S::Kannada),
    li(Lang::Mal, "ml", S::Malayalam),
    li(Lang::Guj, "gu", S::Gujarati),
    li(Lang::Pan, "pa", S::Gurmukhi),
    li(Lang::Ori, "or", S::Oriya),
    li(Lang::Sin, "si", S::Sinhala),
    li(Lang::Mya, "my", S::Myanmar),
    li(Lang::Khm, "km", S::Khmer),
    li(Lang::Amh, "am", S::Ethiopic),
];

/// A set of languages, one bit per index into [`LANGS`].
pub(crate) type LangSet = u128;

pub(crate) const ALL_LANGS: LangSet = (1u128 << LANGS.len()) - 1;

pub(crate) fn bit(id: usize) -> LangSet {
    1u128 << id
}

/// Iterates the ids in a set.
pub(crate) fn ids(mut set: LangSet) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if set == 0 {
            return None;
        }
        let id = set.trailing_zeros() as usize;
        set &= set - 1;
        Some(id)
    })
}

pub(crate) fn id_of_code(code: &str) -> Option<usize> {
    LANGS.iter().position(|l| l.code == code)
}

pub(crate) fn id_of_lang(lang: Lang) -> Option<usize> {
    LANGS.iter().position(|l| l.lang == lang)
}

/// The languages written in `script`.
pub(crate) fn langs_of_script(script: Script) -> LangSet {
    LANGS
        .iter()
        .enumerate()
        .filter(|(_, l)| l.script == script)
        .fold(0, |set, (id, _)| set | bit(id))
}

/// Reads a platform language tag (`pl`, `en-US`, `pt_BR`, `eng`, `iw`) as a language id;
/// `None` for empty, `und` or tags we do not know.
pub(crate) fn id_of_hint(hint: &str) -> Option<usize> {
    let primary = hint.split(['-', '_']).next()?.trim();
    if primary.len() > 3 || primary.is_empty() {
        return None;
    }
    let mut buf = [0u8; 3];
    for (b, c) in buf.iter_mut().zip(primary.bytes()) {
        *b = c.to_ascii_lowercase();
    }
    let lower = std::str::from_utf8(&buf[..primary.len()]).ok()?;
    let code = match lower {
        "no" | "nn" => "nb",
        "iw" => "he",
        "in" => "id",
        "ji" => "yi",
        "fil" => "tl",
        other => other,
    };
    if code.len() == 2 {
        id_of_code(code)
    } else {
        Lang::from_code(code).and_then(id_of_lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_whatlang_language_has_exactly_one_row() {
        for lang in Lang::all() {
            assert_eq!(
                LANGS.iter().filter(|l| l.lang == *lang).count(),
                1,
                "{lang:?}"
            );
        }
        assert!(LANGS.len() <= 128);
    }

    #[test]
    fn reads_platform_hints() {
        assert_eq!(id_of_hint("en-US").map(|i| LANGS[i].code), Some("en"));
        assert_eq!(id_of_hint("PL").map(|i| LANGS[i].code), Some("pl"));
        assert_eq!(id_of_hint("pt_BR").map(|i| LANGS[i].code), Some("pt"));
        assert_eq!(id_of_hint("ukr").map(|i| LANGS[i].code), Some("uk"));
        assert_eq!(id_of_hint("no").map(|i| LANGS[i].code), Some("nb"));
        assert_eq!(id_of_hint("und"), None);
        assert_eq!(id_of_hint(""), None);
        assert_eq!(id_of_hint("xx"), None);
    }

    #[test]
    fn iterates_set_bits() {
        assert_eq!(
            ids(bit(0) | bit(5) | bit(70)).collect::<Vec<_>>(),
            vec![0, 5, 70]
        );
    }
}
