//! The posts the benchmark and `examples/cost.rs` score: one per language, about 200
//! bytes, with the hard cases in them.

/// Posts of about 200 bytes, one per language, with the hard cases in them.
pub const POSTS: [(&str, &str, &str); 4] = [
    (
        "pl",
        "Biedronka",
        "Znowu kolejka w Biedronce na 20 minut, kasa samoobsługowa nie działa, ale ceny naprawdę niezłe. Nie polecam w weekend 😤 Czy ktoś wie, czy w Lidlu jest lepiej niż tutaj? #zakupy",
    ),
    (
        "en",
        "Monzo",
        "Honestly Monzo has been great for me, the app is sooo smooth and support answered in minutes :) but the new fees are NOT cool. Still better than my old bank though! @monzo any plans to fix this?",
    ),
    (
        "de",
        "Deutsche Bahn",
        "Deutsche Bahn mal wieder: Zug ausgefallen, 40 Minuten Verspätung und keine Durchsage. Das Personal war aber echt freundlich 👍 Trotzdem, so kann das nicht weitergehen. #bahnchaos",
    ),
    (
        "uk",
        "Нова пошта",
        "Нова пошта знову затримала посилку на три дні 😡 Підтримка не відповідає, хоча відділення поруч працює добре і швидко. Дуже шкода, раніше було краще.",
    ),
];

pub fn spans(text: &str, brand: &str) -> Vec<std::ops::Range<usize>> {
    text.match_indices(brand)
        .map(|(i, m)| i..i + m.len())
        .collect()
}

/// `post` cut (at a word boundary) or repeated to about `size` bytes.
pub fn sized(post: &str, size: usize) -> String {
    if size <= post.len() {
        let cut = post[..post.floor_char_boundary(size)]
            .rfind(' ')
            .unwrap_or(size);
        return post[..cut].to_string();
    }
    let repeated = format!("{post} ").repeat(size / post.len() + 1);
    repeated[..repeated.floor_char_boundary(size)].to_string()
}
