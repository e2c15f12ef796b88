//! Where identifiers sit inside free text: byte spans of resident IDs, phones, bank cards,
//! e-mails, passports, permits, licence plates and person names, for redaction (and for `scan`'s
//! count of what a remark holds). Overlapping finds are resolved deterministically: the longest
//! span wins, then the earlier one, then the kind found first below.

use crate::kinds::Kind;
use crate::text::is_person_name;
use crate::validate::*;
use crate::vocab::{COMPOUND_SURNAMES, SURNAMES};

/// One identifier found inside a text: its kind and its byte range (`text[start..end]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Span {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// Words after which a short run of Han characters is a person's name ("联系人：张伟").
const NAME_CUES: &[&str] = &[
    "联系人",
    "收货人",
    "收件人",
    "寄件人",
    "持卡人",
    "经办人",
    "负责人",
    "患者",
    "姓名",
    "客户",
    "顾客",
    "用户",
    "本人",
    "家属",
];

/// Titles before which the Han characters are a surname, maybe with a given name ("王先生").
const NAME_TITLES: &[&str] = &["先生", "女士", "小姐"];

/// The identifiers inside `s`, without overlaps, in order of position.
pub fn find_spans(s: &str) -> Vec<Span> {
    let mut all = Vec::new();
    digit_spans(s, &mut all);
    email_spans(s, &mut all);
    code_spans(s, &mut all);
    plate_spans(s, &mut all);
    han_name_spans(s, &mut all);
    latin_name_spans(s, &mut all);
    resolve(all)
}

/// Keeps the longest of overlapping spans (then the earlier, then the one found first).
pub fn resolve(mut all: Vec<Span>) -> Vec<Span> {
    let order: Vec<Span> = {
        let mut v: Vec<(usize, Span)> = all.drain(..).enumerate().collect();
        v.sort_by(|(i, a), (j, b)| {
            b.len()
                .cmp(&a.len())
                .then(a.start.cmp(&b.start))
                .then(i.cmp(j))
        });
        v.into_iter().map(|(_, s)| s).collect()
    };
    let mut kept: Vec<Span> = Vec::new();
    for s in order {
        if kept.iter().all(|k| s.end <= k.start || s.start >= k.end) {
            kept.push(s);
        }
    }
    kept.sort_by_key(|s| s.start);
    kept
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Digit groups separated by single spaces or hyphens; every run of consecutive groups is tried
/// as a resident ID, a mobile (with +86), a bank card or a landline.
fn digit_spans(s: &str, out: &mut Vec<Span>) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && is_word_byte(b[i - 1])) {
            i += 1;
            continue;
        }
        // The groups of this run: (start, end) of each digit group.
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut j = i;
        loop {
            let g = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            groups.push((g, j));
            let sep = j < b.len() && matches!(b[j], b' ' | b'-');
            if sep && j + 1 < b.len() && b[j + 1].is_ascii_digit() {
                j += 1;
            } else {
                break;
            }
        }
        // An identifier has at most six groups ("+86 138 0013 8000", "6222 0212 ... 0128").
        for a in 0..groups.len() {
            for z in a..groups.len().min(a + 6) {
                if let Some(span) = digit_candidate(s, groups[a].0, groups[z].1) {
                    out.push(span);
                }
            }
        }
        i = j.max(i + 1);
    }
}

/// The identifier `s[start..end]` (digits and separators) is, if any, with a check `X` or a
/// `+86` prefix taken in.
fn digit_candidate(s: &str, start: usize, end: usize) -> Option<Span> {
    let b = s.as_bytes();
    // A span ends at a word boundary: not in the middle of a longer code.
    let after = |e: usize| b.get(e).is_none_or(|&c| !is_word_byte(c));
    let compact: String = s[start..end]
        .chars()
        .filter(|c| c.is_ascii_digit())
        .collect();
    if b.get(end).is_some_and(|c| matches!(c, b'X' | b'x')) && after(end + 1) {
        let with_x = format!("{compact}X");
        if is_resident_id(&with_x) {
            return Some(span(Kind::CnResidentId, start, end + 1));
        }
    }
    if !after(end) {
        return None;
    }
    let kind = if is_resident_id(&compact) {
        Kind::CnResidentId
    } else if (compact.len() == 11 || compact.starts_with("86")) && is_mobile(&compact) {
        Kind::CnMobile
    } else if is_bank_card(&compact) {
        Kind::BankCard
    } else if compact.starts_with('0') && is_landline(&s[start..end]) {
        Kind::CnLandline
    } else {
        return None;
    };
    let start = if kind == Kind::CnMobile && start > 0 && b[start - 1] == b'+' {
        start - 1
    } else {
        start
    };
    Some(span(kind, start, end))
}

fn span(kind: Kind, start: usize, end: usize) -> Span {
    Span { kind, start, end }
}

/// E-mail addresses: ASCII local part and domain around an `@`.
fn email_spans(s: &str, out: &mut Vec<Span>) {
    let b = s.as_bytes();
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-".contains(&c);
    let domain = |c: u8| c.is_ascii_alphanumeric() || b".-".contains(&c);
    for (at, _) in s.match_indices('@') {
        let mut start = at;
        while start > 0 && local(b[start - 1]) {
            start -= 1;
        }
        let mut end = at + 1;
        while end < b.len() && domain(b[end]) {
            end += 1;
        }
        // A sentence's full stop after the address is not part of it.
        while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        while start < at && matches!(b[start], b'.') {
            start += 1;
        }
        if start < at && is_email(&s[start..end]) {
            out.push(span(Kind::Email, start, end));
        }
    }
}

/// Passport and HK/Macao/Taiwan permit numbers: ASCII letter-and-digit words.
fn code_spans(s: &str, out: &mut Vec<Span>) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !is_word_byte(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_word_byte(b[i]) {
            i += 1;
        }
        let w = &s[start..i];
        if b[start].is_ascii_uppercase() {
            if is_passport(w) {
                out.push(span(Kind::Passport, start, i));
            } else if is_travel_permit(w) {
                out.push(span(Kind::TravelPermit, start, i));
            }
        }
    }
}

/// Licence plates: a province character, a letter and five or six letters and digits.
fn plate_spans(s: &str, out: &mut Vec<Span>) {
    for (start, c) in s.char_indices() {
        if !PLATE_PROVINCES.contains(c) {
            continue;
        }
        let body = start + c.len_utf8();
        let mut end = body;
        for (k, ch) in s[body..].char_indices() {
            let fits = ch.is_ascii_alphanumeric() || (ch == '·' && k == 1);
            let suffix = "学警港澳挂领试超".contains(ch) && end - body >= 5;
            if !(fits || suffix) || s[body..end].chars().count() >= 8 {
                break;
            }
            end = body + k + ch.len_utf8();
            if suffix {
                break;
            }
        }
        let clean_end = s.as_bytes().get(end).is_none_or(|&x| !is_word_byte(x));
        if clean_end && end > body && is_license_plate(&s[start..end]) {
            out.push(span(Kind::LicensePlate, start, end));
        }
    }
}

fn is_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || ('\u{3400}'..='\u{4DBF}').contains(&c)
}

/// Chinese names where the text says so: a short run of Han characters right after a cue
/// ("联系人：张伟，"), or a surname (and given name) right before a title ("王先生"). A name
/// inside running text without a cue is not found (every common character opens some surname).
fn han_name_spans(s: &str, out: &mut Vec<Span>) {
    for cue in NAME_CUES {
        for (at, _) in s.match_indices(cue) {
            let mut start = at + cue.len();
            let rest = &s[start..];
            let skip: usize = rest
                .chars()
                .take_while(|c| matches!(c, '：' | ':' | ' ' | '　'))
                .map(char::len_utf8)
                .sum();
            start += skip;
            let run: usize = s[start..]
                .chars()
                .take_while(|&c| is_han(c) || c == '·')
                .map(char::len_utf8)
                .sum();
            let name = &s[start..start + run];
            let titled = NAME_TITLES.iter().find_map(|t| name.strip_suffix(t));
            let name = titled.unwrap_or(name);
            if let Some(name) = cued_name(name) {
                out.push(span(Kind::PersonName, start, start + name.len()));
            }
        }
    }
    for title in NAME_TITLES {
        for (at, _) in s.match_indices(title) {
            if let Some(start) = titled_name_start(s, at) {
                out.push(span(Kind::PersonName, start, at));
            }
        }
    }
}

/// Characters that end a name running on into the sentence after a cue ("客户王芳的邮箱"):
/// particles and the first characters of what a remark says next.
const NAME_STOPS: &[char] = &[
    '的', '说', '称', '已', '于', '在', '要', '来', '和', '及', '与', '对', '把', '被', '也', '都',
    '是', '电', '手', '邮', '地', '身', '需', '请', '今', '明', '昨',
];

/// The name a Han run after a cue is: the whole run when it is a name of two or three
/// characters (four with a compound surname), else the part before a stop character.
fn cued_name(run: &str) -> Option<&str> {
    let fits = |name: &str| {
        let longest = if COMPOUND_SURNAMES.iter().any(|c| name.starts_with(c)) {
            4
        } else {
            3
        };
        (2..=longest).contains(&name.chars().count()) && is_person_name(name)
    };
    if fits(run) {
        return Some(run);
    }
    let (stop, _) = run
        .char_indices()
        .skip(2)
        .find(|(_, c)| NAME_STOPS.contains(c))?;
    Some(&run[..stop]).filter(|name| fits(name))
}

/// Where the name before a title at `at` starts: the longest of three, two or one characters
/// before it that opens with a surname.
fn titled_name_start(s: &str, at: usize) -> Option<usize> {
    let before: Vec<(usize, char)> = s[..at].char_indices().rev().take(3).collect();
    for n in (1..=before.len()).rev() {
        let chars = &before[..n];
        if !chars.iter().all(|&(_, c)| is_han(c)) {
            continue;
        }
        let start = chars[n - 1].0;
        let first = chars[n - 1].1;
        let compound = COMPOUND_SURNAMES.iter().any(|c| s[start..].starts_with(c));
        if SURNAMES.contains(first) || compound {
            return Some(start);
        }
    }
    None
}

/// Latin names: two or three capitalised words with a pinyin surname first or last.
fn latin_name_spans(s: &str, out: &mut Vec<Span>) {
    let b = s.as_bytes();
    // Words: (start, end) of each run of ASCII letters, apostrophes and hyphens.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() && (i == 0 || !is_word_byte(b[i - 1])) {
            let st = i;
            while i < b.len() && (b[i].is_ascii_alphabetic() || matches!(b[i], b'\'' | b'-')) {
                i += 1;
            }
            if b.get(i).is_none_or(|&c| !is_word_byte(c)) {
                words.push((st, i));
            }
        } else {
            i += 1;
        }
    }
    for a in 0..words.len() {
        for n in [3, 2] {
            let Some(&(_, end)) = words.get(a + n - 1) else {
                continue;
            };
            let spaced = (a..a + n - 1).all(|k| &s[words[k].1..words[k + 1].0] == " ");
            if spaced && is_person_name(&s[words[a].0..end]) {
                out.push(span(Kind::PersonName, words[a].0, end));
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn found(s: &str) -> Vec<(Kind, &str)> {
        find_spans(s)
            .into_iter()
            .map(|x| (x.kind, &s[x.start..x.end]))
            .collect()
    }

    #[test]
    fn offsets_of_each_kind() {
        let s = "请联系 13800138000 确认";
        assert_eq!(
            find_spans(s),
            vec![Span {
                kind: Kind::CnMobile,
                start: 10,
                end: 21
            }]
        );
        assert_eq!(
            found("电话+86 138 0013 8000。"),
            [(Kind::CnMobile, "+86 138 0013 8000")]
        );
        assert_eq!(
            found("身份证11010519491231002X号"),
            [(Kind::CnResidentId, "11010519491231002X")]
        );
        assert_eq!(
            found("卡4111 1111 1111 1111退款"),
            [(Kind::BankCard, "4111 1111 1111 1111")]
        );
        assert_eq!(
            found("邮箱li.wei@example.com。"),
            [(Kind::Email, "li.wei@example.com")]
        );
        assert_eq!(
            found("座机010-12345678"),
            [(Kind::CnLandline, "010-12345678")]
        );
        assert_eq!(found("护照E12345678在办"), [(Kind::Passport, "E12345678")]);
        assert_eq!(found("车牌京A12345停"), [(Kind::LicensePlate, "京A12345")]);
        assert_eq!(found("联系人：张伟，谢谢"), [(Kind::PersonName, "张伟")]);
        assert_eq!(found("收货人欧阳娜娜"), [(Kind::PersonName, "欧阳娜娜")]);
        // A name running on into the sentence ends at a particle; a run with no name in it
        // before one is left alone.
        assert_eq!(found("客户王芳的邮箱已更新"), [(Kind::PersonName, "王芳")]);
        assert_eq!(found("患者李明说头痛"), [(Kind::PersonName, "李明")]);
        assert_eq!(found("客户反馈良好的产品"), []);
        assert_eq!(found("请王先生来取"), [(Kind::PersonName, "王")]);
        assert_eq!(
            found("called Wang Fang today"),
            [(Kind::PersonName, "Wang Fang")]
        );
    }

    #[test]
    fn overlaps_keep_the_longest() {
        // Eleven digits inside an 18-character ID are not a phone of their own.
        assert_eq!(
            found("11010519491231002X"),
            [(Kind::CnResidentId, "11010519491231002X")]
        );
        // The digits before an @ belong to the e-mail, not to a phone.
        assert_eq!(
            found("13800138000@qq.com"),
            [(Kind::Email, "13800138000@qq.com")]
        );
        let r = resolve(vec![
            span(Kind::CnMobile, 0, 11),
            span(Kind::BankCard, 0, 16),
            span(Kind::Email, 10, 20),
        ]);
        assert_eq!(r, vec![span(Kind::BankCard, 0, 16)]);
        // Equal lengths: the earlier wins, then the one listed first.
        let r = resolve(vec![span(Kind::Email, 3, 8), span(Kind::CnMobile, 0, 5)]);
        assert_eq!(r, vec![span(Kind::CnMobile, 0, 5)]);
        let r = resolve(vec![span(Kind::Email, 0, 5), span(Kind::CnMobile, 0, 5)]);
        assert_eq!(r, vec![span(Kind::Email, 0, 5)]);
    }

    #[test]
    fn plain_text_and_near_misses() {
        for s in [
            "客户要求周末送货上门，请提前电话联系",
            "老客户，多次复购，偏好顺丰快递",
            "delivered on time, thank you",
            "订单号 20261122 金额 12800.50",
            "1380013800",
            "A13800138000",
            "138001380001",
            "",
        ] {
            assert_eq!(find_spans(s), vec![], "{s}");
        }
    }

    #[test]
    fn non_ascii_boundaries() {
        let s = "é13800138000ü，李";
        assert_eq!(found(s), [(Kind::CnMobile, "13800138000")]);
        let s = "联系人：张伟";
        let f = find_spans(s);
        assert_eq!(&s[f[0].start..f[0].end], "张伟");
        assert!(s.is_char_boundary(f[0].start) && s.is_char_boundary(f[0].end));
    }

    proptest! {
        #[test]
        fn spans_are_ordered_disjoint_char_ranges(s in "[0-9Xx @a-zA-Z.\\-+ 电话联系人张王先生京：，é]{0,80}") {
            let f = find_spans(&s);
            for w in f.windows(2) {
                prop_assert!(w[0].end <= w[1].start);
            }
            for x in &f {
                prop_assert!(x.start < x.end && s.is_char_boundary(x.start) && s.is_char_boundary(x.end));
            }
        }

        #[test]
        fn any_text_never_panics(s in "\\PC{0,60}") {
            let _ = find_spans(&s);
        }
    }
}
