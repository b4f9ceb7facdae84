#!/usr/bin/env python3
"""Generates Earshot's bundled sample data, deterministically.

    python3 samples/generate.py   # rewrites samples/{mastodon,hacker_news,reddit,x,youtube,rss,bluesky}/*.json

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


REDDIT_COUNT = 320
REDDIT_START = datetime(2026, 3, 12, 6, 0, 0, tzinfo=timezone.utc)
REDDIT_SPAN_SECONDS = 6 * 60 * 60
REDDIT_SUBS = ["poland", "Polska", "europe", "logistics", "cars", "programming"]
REDDIT_USERS = ["kasia_waw", "piotr_krk", "throwaway_pl_88", "logistyk", "benzyniarz", "devops_gda",
                "expat_in_poznan", "mod_mama"]
REDDIT_TITLES = [
    "{b} raised prices again?",
    "Anyone else waiting forever for an {b} delivery?",
    "Czy {b} jest jeszcze warty uwagi?",
    "Worked at {b} for 3 years, AMA",
    "{b} app down for anyone else?",
    "Why is {b} so popular in Poland?",
]
REDDIT_BODIES = [
    "",
    "Title says it all. Second time this month.",
    "Mam 34 lata i pierwszy raz widzę taką kolejkę na stacji.",
    "Genuinely curious, not trolling. Compared to Amazon it seems fine?",
    "Edit: fixed now, thanks & sorry for the noise.",
]


def to_base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"


def generate_reddit():
    """Reddit links (t3) as /search returns them in a Listing's children: six hours of
    one day, mentioning the sample brands by name in the title or the self text."""
    rng = random.Random(SEED + 2)
    offsets = sorted(rng.uniform(0, REDDIT_SPAN_SECONDS) for _ in range(REDDIT_COUNT))
    posts = []
    for seq, offset in enumerate(offsets):
        created = REDDIT_START + timedelta(seconds=int(offset))
        post_id = to_base36(0x1b00000 + seq * 5 + rng.randint(0, 4))
        brand = rng.choices(["Orlen", "InPost", "Allegro", "Zabka"], weights=[30, 30, 30, 10])[0]
        sub = rng.choice(REDDIT_SUBS)
        author = rng.choice(REDDIT_USERS)
        selftext = rng.choice(REDDIT_BODIES)
        is_self = rng.random() < 0.7
        permalink = f"/r/{sub}/comments/{post_id}/{brand.lower()}_post/"
        posts.append({
            "id": post_id,
            "name": f"t3_{post_id}",
            "title": rng.choice(REDDIT_TITLES).format(b=brand),
            "selftext": selftext if is_self else "",
            "author": author,
            "author_fullname": f"t2_{to_base36(1000000 + REDDIT_USERS.index(author) * 7919)}",
            "created_utc": float(int(created.timestamp())),
            "permalink": permalink,
            "url": f"https://www.reddit.com{permalink}" if is_self else f"https://example.com/{brand.lower()}/{post_id}",
            "score": max(0, int(rng.paretovariate(1.2) * 4) - 2),
            "num_comments": rng.randint(0, 80),
            "subreddit": sub,
            "subreddit_name_prefixed": f"r/{sub}",
            "is_self": is_self,
            "over_18": False,
            "upvote_ratio": round(rng.uniform(0.5, 1.0), 2),
        })
    posts.sort(key=lambda p: (p["created_utc"], p["name"]), reverse=True)
    return posts


X_COUNT = 360
X_START = datetime(2026, 3, 12, 7, 0, 0, tzinfo=timezone.utc)
X_SPAN_SECONDS = 4 * 60 * 60
X_USERS = [
    ("1500000000000000001", "marta_wawa", "Marta", "Rocznik 1991. Warszawa. Kawa > wszystko.", 1820, False),
    ("1500000000000000002", "tomek_dev", "Tomek", "Backend dev @ Allegro. Opinions my own.", 410, False),
    ("1500000000000000003", "newsroom_pl", "Newsroom PL", "Redakcja. Breaking news z Polski.", 254000, True),
    ("1500000000000000004", "ola_k", "Ola K.", "Mam 27 lat, biegam i narzekam na kurierów.", 96, False),
    ("1500000000000000005", "jan_from_krk", "Jan", "Kraków. Cars, fuel prices, football.", 3300, False),
    ("1500000000000000006", "eu_logistics", "EU Logistics Watch", "Parcel lockers, last mile, supply chains.", 12800, True),
]
X_TEXTS = [
    ("pl", "Znowu drożej na {b}. Ile jeszcze?"),
    ("pl", "Paczka z {b} w 12 godzin, szacun."),
    ("en", "{b} app is down again, anyone else?"),
    ("en", "Honestly {b} customer service was great today"),
    ("de", "{b} expandiert nach Deutschland, interessant."),
    ("und", "{b} 🤔🤔"),
]


def generate_x():
    """X API v2 posts (tweets) as /2/tweets/search/recent returns them, each carrying its
    author's user object under `author` (the replay server moves it to
    `includes.users`): four hours of one day, mentioning the sample brands by name."""
    rng = random.Random(SEED + 3)
    offsets = sorted(rng.uniform(0, X_SPAN_SECONDS) for _ in range(X_COUNT))
    tweets = []
    for seq, offset in enumerate(offsets):
        created = X_START + timedelta(seconds=offset)
        created = created.replace(microsecond=(created.microsecond // 1000) * 1000)
        # Snowflake-like ids: milliseconds since the epoch shifted, plus a sequence.
        tweet_id = str((int(created.timestamp() * 1000) - 1288834974657) << 22 | seq)
        brand = rng.choices(["Orlen", "InPost", "Allegro", "Żabka"], weights=[30, 30, 30, 10])[0]
        lang, text = rng.choice(X_TEXTS)
        uid, username, name, bio, followers, verified = rng.choice(X_USERS)
        tweets.append({
            "id": tweet_id,
            "text": text.format(b=brand),
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
            "lang": lang,
            "author_id": uid,
            "edit_history_tweet_ids": [tweet_id],
            "public_metrics": {"retweet_count": rng.randint(0, 20), "reply_count": rng.randint(0, 10),
                               "like_count": max(0, int(rng.paretovariate(1.1) * 3) - 2),
                               "quote_count": rng.randint(0, 3), "bookmark_count": 0,
                               "impression_count": rng.randint(10, 5000)},
            "author": {"id": uid, "username": username, "name": name, "description": bio,
                       "verified": verified, "created_at": "2015-06-01T10:00:00.000Z",
                       "public_metrics": {"followers_count": followers, "following_count": 200,
                                          "tweet_count": 5000, "listed_count": 10}},
        })
    tweets.sort(key=lambda t: int(t["id"]), reverse=True)
    return tweets


YT_COUNT = 300
YT_START = datetime(2026, 3, 11, 18, 0, 0, tzinfo=timezone.utc)
YT_SPAN_SECONDS = 20 * 60 * 60
YT_VIDEOS = [("dQw4Orlen01", "UCorlenOfficial000000001"), ("InPostTest2", "UCinpostOfficial00000002"),
             ("AllegroAd03", "UCallegroOfficial0000003"), ("OrlenNews04", "UCorlenOfficial000000001")]
YT_AUTHORS = ["@kasiagotuje", "@motoPiotr", "@PaczkaDnia", "@tech_ola", "@kierowca_tir", "@GdanskVlog"]
YT_TEXTS = [
    "Ceny na Orlenie to jakiś żart 😂",
    "Paczkomat pod blokiem = najlepszy wynalazek",
    "Who else is here after the Allegro ad?",
    "Mam 41 lat i pierwszy raz zamawiam z InPost, polecam",
    "Pozdrawiam z Żabki na nocnej zmianie!",
    "This aged well",
]


def generate_youtube():
    """YouTube Data API v3 commentThread resources (part=snippet) on four videos of
    three brand channels, over twenty hours."""
    rng = random.Random(SEED + 4)
    offsets = sorted(rng.uniform(0, YT_SPAN_SECONDS) for _ in range(YT_COUNT))
    threads = []
    for seq, offset in enumerate(offsets):
        created = YT_START + timedelta(seconds=int(offset))
        video, channel = rng.choice(YT_VIDEOS)
        comment_id = "Ugz" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
                                     for _ in range(20)) + f"4AaABAg{seq:03d}"
        author = rng.choice(YT_AUTHORS)
        published = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        text = rng.choice(YT_TEXTS)
        threads.append({
            "kind": "youtube#commentThread",
            "etag": f"etag{seq:04d}",
            "id": comment_id,
            "snippet": {
                "channelId": channel,
                "videoId": video,
                "topLevelComment": {
                    "kind": "youtube#comment",
                    "etag": f"cetag{seq:04d}",
                    "id": comment_id,
                    "snippet": {
                        "channelId": channel,
                        "videoId": video,
                        "textDisplay": text.replace("&", "&amp;"),
                        "textOriginal": text,
                        "authorDisplayName": author,
                        "authorProfileImageUrl": "https://yt3.ggpht.com/example",
                        "authorChannelUrl": f"http://www.youtube.com/{author}",
                        "authorChannelId": {"value": f"UCauthor{YT_AUTHORS.index(author):016d}"},
                        "canRate": True,
                        "viewerRating": "none",
                        "likeCount": max(0, int(rng.paretovariate(1.1) * 2) - 1),
                        "publishedAt": published,
                        "updatedAt": published,
                    },
                },
                "canReply": True,
                "totalReplyCount": rng.randint(0, 12),
                "isPublic": True,
            },
        })
    threads.sort(key=lambda t: (t["snippet"]["topLevelComment"]["snippet"]["publishedAt"], t["id"]), reverse=True)
    return threads


RSS_FEEDS = [("biznes", "Gazeta Biznes"), ("tech", "Tech Press PL")]
RSS_TITLES = [
    "{b} podnosi ceny paliw od poniedziałku",
    "{b} otwiera nowe centrum logistyczne",
    "Wyniki kwartalne {b}: przychody w górę",
    "{b} testuje nową usługę dla klientów",
    "Prezes {b} o planach na 2026 rok",
    "UOKiK bierze pod lupę {b}",
]


def generate_rss():
    """Press items of two feeds over six hours; every fifth has no guid (dedup by link)."""
    rng = random.Random(SEED + 5)
    start = datetime(2026, 3, 12, 6, 0, 0, tzinfo=timezone.utc)
    items = []
    for seq in range(60):
        feed, _ = RSS_FEEDS[seq % len(RSS_FEEDS)]
        _, brand = BRANDS[rng.randrange(len(BRANDS))]
        created = start + timedelta(seconds=seq * 360 + rng.randrange(300))
        slug = f"{feed}-{seq:03d}"
        link = f"https://press.example/{feed}/{slug}.html"
        item = {
            "feed": feed,
            "title": RSS_TITLES[rng.randrange(len(RSS_TITLES))].format(b=brand),
            "link": link,
            "description": f"<p>{brand}: komentarz redakcji &amp; szczegóły.</p><p>Nr {seq}.</p>",
            "published": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if seq % 5 != 4:
            item["guid"] = f"urn:press:{slug}"
        if seq % 3 == 0:
            item["author"] = rng.choice(["Anna Nowak", "Piotr Zieliński"])
        items.append(item)
    return items


BSKY_TEXTS = [
    ("pl", "Znowu kolejka na {b}, ile można czekać"),
    ("pl", "Paczka z {b} doszła w jeden dzień, super"),
    ("en", "Is the {b} app down for anyone else?"),
    ("pl", "Dzień dobry, kawa i do pracy"),
    ("en", "Lovely weather in Warsaw today"),
    ("de", "Heute wieder Stau auf der A2"),
]


def generate_bluesky():
    """Jetstream events over one hour: post creates (some naming a brand), likes, deletes."""
    rng = random.Random(SEED + 6)
    start_us = int(datetime(2026, 3, 12, 8, 0, 0, tzinfo=timezone.utc).timestamp()) * 1_000_000
    events = []
    time_us = start_us
    for seq in range(400):
        time_us += rng.randrange(2_000_000, 16_000_000)
        did = f"did:plc:sample{rng.randrange(40):04d}"
        rkey = f"3m{seq:06d}bsky"
        kind = rng.random()
        if kind < 0.15:
            events.append({"did": did, "time_us": time_us, "kind": "commit", "commit": {
                "rev": f"r{seq}", "operation": "create", "collection": "app.bsky.feed.like",
                "rkey": rkey, "record": {"$type": "app.bsky.feed.like",
                                         "createdAt": datetime.fromtimestamp(time_us / 1e6, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}}})
            continue
        if kind < 0.2:
            events.append({"did": did, "time_us": time_us, "kind": "commit", "commit": {
                "rev": f"r{seq}", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": rkey}})
            continue
        lang, text = BSKY_TEXTS[rng.randrange(len(BSKY_TEXTS))]
        _, brand = BRANDS[rng.randrange(len(BRANDS))]
        created = datetime.fromtimestamp(time_us / 1e6, timezone.utc) - timedelta(milliseconds=rng.randrange(900))
        events.append({"did": did, "time_us": time_us, "kind": "commit", "commit": {
            "rev": f"r{seq}", "operation": "create", "collection": "app.bsky.feed.post", "rkey": rkey,
            "cid": f"bafyrei{seq:08d}",
            "record": {"$type": "app.bsky.feed.post", "text": text.format(b=brand),
                       "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
                       "langs": [lang]}}})
    return events


def write(relative, items):
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), relative)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(items, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(items)} items to {out}")


def main():
    write("hacker_news/items.json", generate_hacker_news())
    write("reddit/posts.json", generate_reddit())
    write("x/tweets.json", generate_x())
    write("youtube/comment_threads.json", generate_youtube())
    write("rss/items.json", generate_rss())
    write("bluesky/events.json", generate_bluesky())
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
