#!/usr/bin/env python3
"""Generates Earshot's bundled sample data, deterministically.

    python3 samples/generate.py   # rewrites samples/mastodon/statuses.json and samples/hacker_news/items.json

The statuses follow Mastodon's Status entity (https://docs.joinmastodon.org/entities/Status/)
with its real field names, so the replay server can serve them as a hashtag timeline
exactly as an instance would. They cover two hours of one morning, mention the sample
brands of config/earshot.toml through hashtags, mostly in Polish with English, German,
Ukrainian and Czech mixed in, and come from authors whose bios carry the signals
enrichment looks for: a birth year or an age, a job at a brand, a newsroom.

Nothing here is real: names, handles and posts are invented. The output depends only
on the seed, so re-running the script yields byte-identical JSON.
"""

import json
import os
import random
from datetime import datetime, timedelta, timezone

SEED = 20260312
COUNT = 400
START = datetime(2026, 3, 12, 8, 0, 0, tzinfo=timezone.utc)
SPAN_SECONDS = 2 * 60 * 60

INSTANCES = ["mastodon.social", "pol.social", "101010.pl", "mastodon.online", "social.vivaldi.net",
             "mstdn.social", "troet.cafe", "mastodon.ml"]

# (brand hashtag, display name used in text)
BRANDS = [("orlen", "Orlen"), ("zabka", "Żabka"), ("inpost", "InPost"), ("allegro", "Allegro"),
          ("paczkomat", "paczkomat")]

TEXTS = {
    "pl": [
        "Znowu podwyżka na stacji {b}. 6,89 za litr, serio? #{t}",
        "Kocham {b}, paczka w 14 godzin z Gdańska do Krakowa 😍 #{t}",
        "Czy tylko mi aplikacja {b} dziś nie działa? Trzeci raz próbuję zapłacić. #{t}",
        "Nowa promocja w {b} – kawa + hot-dog za 9,99. Biorę! #{t}",
        "{b} znowu nie dowiózł na czas, reklamacja wysłana. #{t}",
        "Raport: {b} zwiększa udział w rynku w IV kwartale. Szczegóły w artykule. #{t}",
        "Obsługa klienta {b} na medal, problem rozwiązany w 5 minut. #{t}",
        "Kolejka na kasie w {b} na 20 minut. Co się dzieje? #{t}",
        "Paczkomat pod blokiem pełny, kurier zostawił awizo. Dzięki {b}… #{t}",
        "Zamówiłam przez {b} Smart, darmowa dostawa działa bez zarzutu. #{t}",
        "Ceny w {b} poszły w górę o 12% od stycznia, policzyłem paragony. #{t}",
        "Wywiad z prezesem {b} o planach inwestycyjnych na 2026 rok. #{t}",
    ],
    "en": [
        "Tried {b} for the first time while in Warsaw, surprisingly smooth. #{t}",
        "{b} outage again this morning? Can't check out. #{t}",
        "Analysis: why {b} keeps winning Polish e-commerce. #{t}",
        "Shoutout to {b} support, refund processed same day. #{t}",
    ],
    "de": [
        "{b} ist in Polen überall, sogar an der Tankstelle auf dem Land. #{t}",
        "Lieferung über {b} nach Berlin hat nur zwei Tage gedauert. #{t}",
        "Die Preise bei {b} steigen schon wieder. #{t}",
    ],
    "uk": [
        "Замовила через {b}, доставка швидка, дуже задоволена. #{t}",
        "Знову черга в {b} біля гуртожитку. #{t}",
        "{b} підняв ціни на пальне, жах. #{t}",
    ],
    "cs": [
        "{b} otevírá první výdejní boxy v Brně, vyzkoušeno. #{t}",
        "Ceny benzínu u {b} na hranicích jsou pořád nižší než u nás. #{t}",
    ],
}
LANG_WEIGHTS = [("pl", 70), ("en", 12), ("de", 7), ("uk", 7), ("cs", 4)]

FIRST = ["Ala", "Kasia", "Marek", "Tomek", "Ola", "Piotr", "Zosia", "Jan", "Ewa", "Bartek",
         "Magda", "Kuba", "Anna", "Paweł", "Natalia", "Olena", "Taras", "Lukas", "Jana", "Sam"]
LAST = ["Nowak", "Kowalska", "Wiśniewski", "Zielińska", "Lewandowski", "Wójcik", "Kamińska",
        "Kozłowski", "Shevchenko", "Müller", "Dvořák", "Smith"]

BIOS = [
    "Rocznik {year}. Kierowca zawodowy, kawa i drogi.",
    "Urodzona w {year}. Mama, rowerzystka, Kraków.",
    "{age} lat, student informatyki na AGH.",
    "Wiek: {age}. Warszawa, praca w logistyce.",
    "Emerytowany nauczyciel, rocznik {year}. Wnuki, działka, szachy.",
    "Dziennikarka ekonomiczna, Rzeczpospolita. Piszę o energetyce i handlu.",
    "Dziennikarz, redakcja Business Insider Polska. DM otwarte.",
    "Pracuję w {brand}, opinie prywatne.",
    "Software engineer @ {brand}. Rust, Kafka, rowery.",
    "Rzecznik prasowy {brand}.",
    "Journalist covering CEE energy and retail. Born {year}.",
    "Journalistin, Wirtschaftsressort. Jahrgang {year}.",
    "Фотографка з Києва, живу у Вроцлаві. {age} років.",
    "Novinář, ekonomika a obchod. Ročník {year}.",
    "Fan kolei, grzybów i dobrej kawy.",
    "Gracz, memiarz, czasem coś napiszę.",
    "Gen Z, born {year}, tired.",
    "",
]


def mastodon_id(created_at: datetime, seq: int) -> str:
    # Mastodon's Snowflake-like ids: milliseconds since the epoch shifted left 16 bits.
    millis = int(created_at.timestamp() * 1000)
    return str((millis << 16) | (seq & 0xFFFF))


def make_accounts(rng: random.Random):
    accounts = []
    for i in range(90):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        domain = rng.choice(INSTANCES)
        username = f"{first.lower()}_{last.lower()}{i}".encode("ascii", "ignore").decode()
        year = rng.randint(1952, 2008)
        age = 2026 - year
        brand = rng.choice(["Orlen", "Żabka", "InPost", "Allegro"])
        bio = rng.choice(BIOS).format(year=year, age=age, brand=brand)
        created = START - timedelta(days=rng.randint(30, 3000))
        created = created.replace(hour=0, minute=0, second=0, microsecond=0)
        followers = int(rng.paretovariate(1.2) * 40)
        acct = f"{username}@{domain}"
        url = f"https://{domain}/@{username}"
        accounts.append({
            "id": str(100000000000000000 + i * 7919),
            "username": username,
            "acct": acct,
            "display_name": f"{first} {last}",
            "locked": False,
            "bot": rng.random() < 0.03,
            "discoverable": True,
            "group": False,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "note": f"<p>{bio}</p>" if bio else "",
            "url": url,
            "uri": f"https://{domain}/users/{username}",
            "avatar": f"https://{domain}/avatars/original/missing.png",
            "avatar_static": f"https://{domain}/avatars/original/missing.png",
            "header": f"https://{domain}/headers/original/missing.png",
            "header_static": f"https://{domain}/headers/original/missing.png",
            "followers_count": followers,
            "following_count": rng.randint(0, 900),
            "statuses_count": rng.randint(1, 20000),
            "last_status_at": START.strftime("%Y-%m-%d"),
            "emojis": [],
            "fields": [],
        })
    return accounts


def hashtag_html(domain: str, tag: str) -> str:
    return (f'<a href="https://{domain}/tags/{tag}" class="mention hashtag" rel="tag">'
            f'#<span>{tag}</span></a>')


def make_status(rng: random.Random, seq: int, created: datetime, account: dict) -> dict:
    tag, brand = rng.choice(BRANDS)
    lang = rng.choices([l for l, _ in LANG_WEIGHTS], weights=[w for _, w in LANG_WEIGHTS])[0]
    template = rng.choice(TEXTS[lang])
    text = template.format(b=brand if tag != "paczkomat" else "InPost", t=tag)
    domain = account["acct"].split("@", 1)[1]
    status_id = mastodon_id(created, seq)
    tags = [tag]
    # Some posts carry a second brand hashtag, so one status shows up on two timelines.
    if rng.random() < 0.08:
        extra, _ = rng.choice(BRANDS)
        if extra != tag:
            tags.append(extra)
            text += f" #{extra}"
    body = text
    for t in tags:
        body = body.replace(f"#{t}", hashtag_html(domain, t))
    content = "<p>" + body.replace("\n", "<br />") + "</p>"
    likes = int(rng.paretovariate(1.5)) - 1
    return {
        "id": status_id,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": lang,
        "uri": f"https://{domain}/users/{account['username']}/statuses/{status_id}",
        "url": f"https://{domain}/@{account['username']}/{status_id}",
        "replies_count": max(0, int(rng.expovariate(0.8))),
        "reblogs_count": max(0, int(rng.expovariate(0.5)) if likes > 2 else 0),
        "favourites_count": likes,
        "edited_at": None,
        "content": content,
        "reblog": None,
        "application": None,
        "account": account,
        "media_attachments": [],
        "mentions": [],
        "tags": [{"name": t, "url": f"https://{domain}/tags/{t}"} for t in tags],
        "emojis": [],
        "card": None,
        "poll": None,
    }


HN_START = datetime(2026, 3, 9, 0, 0, 0, tzinfo=timezone.utc)
HN_SPAN_SECONDS = 3 * 24 * 60 * 60
HN_COUNT = 1400
HN_USERS = ["kasia_dev", "tptacek_fan", "jnowak", "rustacean_pl", "ewa_k", "logistics_nerd", "pg_reader",
            "marek_w", "throwaway2026", "sre_anna", "dang_fan", "ola_builds", "bartek", "cz_dev", "de_ops"]
HN_STORIES = [
    "{b} rewrote its search in Rust",
    "How {b} handles 10M parcels a day",
    "{b} (YC-style Polish unicorn) raises prices for sellers",
    "Ask HN: Anyone working at {b}? What is the stack like?",
    "Show HN: I built a tracker for {b} parcel lockers",
    "{b} outage post-mortem",
]
HN_COMMENTS = [
    "I used {b} last week, delivery was next day and the app is decent.",
    "Worked at {b} for two years. Great engineering culture, mediocre pay.",
    "The {b} lockers are everywhere in Poland now, honestly a better model than doorstep delivery.",
    "{b} search is still worse than it was in 2019, IMO.",
    "Not sure how {b} makes money on this, the margins must be razor thin.",
    "Funny, {b} was down for me this morning too.",
]


def generate_hacker_news():
    """Algolia HN search hits (https://hn.algolia.com/api) over three days: enough hits for
    `allegro` that one query cannot serve them all, so backfills must slice time."""
    rng = random.Random(SEED + 1)
    offsets = sorted(rng.uniform(0, HN_SPAN_SECONDS) for _ in range(HN_COUNT))
    hits = []
    story_ids = []
    for seq, offset in enumerate(offsets):
        created = HN_START + timedelta(seconds=int(offset))
        object_id = 47000000 + seq * 7 + rng.randint(0, 6)
        brand = rng.choices(["Allegro", "InPost", "Orlen"], weights=[75, 15, 10])[0]
        author = rng.choice(HN_USERS)
        common = {
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "created_at_i": int(created.timestamp()),
            "author": author,
            "objectID": str(object_id),
            "updated_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        }
        if not story_ids or rng.random() < 0.2:
            story_ids.append(object_id)
            hits.append({**common,
                         "title": rng.choice(HN_STORIES).format(b=brand),
                         "url": f"https://example.com/{brand.lower()}/{object_id}",
                         "story_text": None,
                         "points": max(1, int(rng.paretovariate(1.1) * 3)),
                         "num_comments": rng.randint(0, 120),
                         "story_id": object_id,
                         "_tags": ["story", f"author_{author}", f"story_{object_id}"]})
        else:
            story = rng.choice(story_ids[-20:])
            hits.append({**common,
                         "comment_text": "<p>" + rng.choice(HN_COMMENTS).format(b=brand) + "</p>",
                         "story_id": story,
                         "parent_id": story,
                         "story_title": None,
                         "points": None,
                         "num_comments": None,
                         "_tags": ["comment", f"author_{author}", f"story_{story}"]})
    hits.sort(key=lambda h: h["created_at_i"], reverse=True)
    return hits


def write(relative, items):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), relative)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(items, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(items)} items to {out}")


def main():
    write("hacker_news/items.json", generate_hacker_news())
    rng = random.Random(SEED)
    accounts = make_accounts(rng)
    offsets = sorted(rng.uniform(0, SPAN_SECONDS) for _ in range(COUNT))
    statuses = []
    for seq, offset in enumerate(offsets):
        created = START + timedelta(seconds=offset)
        created = created.replace(microsecond=(created.microsecond // 1000) * 1000)
        statuses.append(make_status(rng, seq, created, rng.choice(accounts)))
    # Newest first, as a timeline returns them.
    statuses.sort(key=lambda s: (len(s["id"]), s["id"]), reverse=True)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mastodon", "statuses.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(statuses, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(statuses)} statuses to {out}")


if __name__ == "__main__":
    main()
