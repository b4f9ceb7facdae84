#!/usr/bin/env python3
"""Writes cohort.jsonl, source.jsonl and brands.jsonl: labelled mentions covering every
rule of those tags in English and Polish, plus hard negatives (statements about someone
else, the past, numbers that are not ages, former journalists, fans of a brand...).
Labels are what a careful human reader would say, not what the rules say. Deterministic:
run from this directory with `python3 gen_tags.py`."""
import json, random

rng = random.Random(424242)
BOUNDS = [(2003, "gen_z"), (1980, "millennials"), (1965, "gen_x"), (1946, "boomers"), (-9999, "silent")]

def cohort_of(year):
    for start, name in BOUNDS:
        if year >= start:
            return name

def date(year=None):
    y = year or rng.choice([2024, 2025, 2026, 2026, 2026])
    return f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:15:00Z", y

NAMES_BIO = ["Kraków", "Warszawa", "Gdańsk", "London", "Leeds", "coffee addict", "runner", "dog mom", "kot i kawa", "fotografia", "IT", "she/her", "he/him", "rower, góry", "gamer", "books & tea", "muzyka", "travel", "🇵🇱", "🌿"]
POSTS_PL = ["Znowu drożej na stacji, masakra", "Ktoś wie, czy promocja jeszcze trwa?", "Kolejka w sklepie na pół godziny", "Nowa aplikacja jest całkiem wygodna", "Dostawa przyszła szybciej niż myślałam", "Ceny paliwa to jakiś żart", "Czy tylko mi nie działa płatność?", "Fajna reklama w telewizji wczoraj"]
POSTS_EN = ["Prices went up again at the pump", "Anyone know if the sale is still on?", "Queue at the store was half an hour", "The new app is actually pretty nice", "Delivery came faster than I expected", "Fuel prices are a joke", "Is it just me or is checkout broken?", "Saw a fun ad on TV yesterday"]

def deco(bio):
    parts = [bio] + rng.sample(NAMES_BIO, rng.randint(0, 2))
    rng.shuffle(parts)
    return rng.choice([" | ", ". ", " • ", ", "]).join(parts)

def cohort_cases():
    out = []
    def add(cohort, rule, bio="", text=None, created=None, lang=None):
        lang = lang or rng.choice(["pl", "en"])
        text = text if text is not None else rng.choice(POSTS_PL if lang == "pl" else POSTS_EN)
        created = created or date()[0]
        out.append({"bio": bio, "text": text, "created_at": created, "cohort": cohort, "rule": rule})

    # Stated birth year, bio and post, 2- and 4-digit.
    bio_year_en = ["born in {y}", "born in '{yy}", "b. {y}", "{y} baby", "Born {y}"]
    bio_year_pl = ["rocznik {yy}", "rocznik {y}", "ur. {y}", "urodzona w {y}", "Urodzony w {y}", "rocznik '{yy}"]
    for _ in range(50):
        y = rng.randint(1938, 2009)
        if y >= 2000 and rng.random() < 0.5:
            y = rng.randint(1950, 1999)
        tpl = rng.choice(bio_year_en + bio_year_pl)
        add(cohort_of(y), "bio.birth_year", deco(tpl.format(y=y, yy=f"{y % 100:02d}")))
    for tpl in ["Urodziłem się w {y} i pamiętam jeszcze stare stacje", "I was born in {y} and I still remember the old logo", "Urodziłam się w {y}, więc wiem, jak było kiedyś", "born in {y}, remember when this cost half?"]:
        for _ in range(5):
            y = rng.randint(1945, 2006)
            add(cohort_of(y), "post.birth_year", text=tpl.format(y=y))
    # Stated age, resolved against the post date; ages away from cohort edges.
    age_en = ["I'm {a} and {rest}", "i am {a} years old and {rest}", "{a} y/o, {rest}", "{a}yo here, {rest}", "I’m {a} and honestly {rest}"]
    age_pl = ["Mam {a} lat i {rest}", "mam {a} lata, a {rest}", "Mam już {a} lat i {rest}", "{a}-latka, {rest}"]
    rest_en = ["this is the worst price I've seen", "I still shop there", "I don't get the hype"]
    rest_pl = ["takich cen nie pamiętam", "nadal tam kupuję", "nie rozumiem tego szumu"]
    for _ in range(45):
        created, py = date()
        while True:
            a = rng.randint(14, 85)
            if cohort_of(py - a) == cohort_of(py - a - 1):
                break
        if rng.random() < 0.5:
            add(cohort_of(py - a), "post.age", text=rng.choice(age_en).format(a=a, rest=rng.choice(rest_en)), created=created)
        else:
            t = rng.choice(age_pl)
            if "lata" in t and not (a % 10 in (2, 3, 4) and a % 100 not in (12, 13, 14)):
                t = t.replace("lata", "lat")
            add(cohort_of(py - a), "post.age", text=t.format(a=a, rest=rng.choice(rest_pl)), created=created)
    # The same words, an old post: the answer follows the post's date.
    for _ in range(6):
        created, py = date(rng.choice([2008, 2010, 2012]))
        a = rng.choice([25, 30, 35])
        add(cohort_of(py - a - 1), "post.age(old_post)", text=f"I'm {a} and still can't afford a car", created=created)
    for tpl, lang in [("just turned {a} today 🎂", "en"), ("Skończyłam {a} lat i dostałam kartę lojalnościową w prezencie", "pl"), ("Właśnie skończyłem {a}, czas na zakupy", "pl"), ("I turned {a} today and treated myself", "en")]:
        for _ in range(4):
            created, py = date()
            a = rng.choice([18, 21, 30, 40, 50, 65, 70])
            add(cohort_of(py - a), "post.age_exact", text=tpl.format(a=a), created=created, lang=lang)
    for tpl in ["Retired since {y}", "retired since {y}, grandpa of three", "Na emeryturze od {y}", "emerytka od {y} 🌸"]:
        for _ in range(3):
            y = rng.randint(2010, 2024)
            add(cohort_of(y - 62), "bio.retired_since", deco(tpl.format(y=y)))
    # Self-identification, post and bio.
    self_id = {
        "gen_z": ["as a gen z I refuse to call anyone", "my fellow gen z, we need to talk about this", "Jako gen z nie rozumiem tej reklamy", "gen z here and this ad is cringe", "jestem z pokolenia z i nie kupuję tego"],
        "millennials": ["As a millennial I can't afford any of this", "fellow millennials, remember when this was cheap?", "Jako milenials powiem wam, że kiedyś było taniej", "I'm a millennial and I still use this app", "jestem milenialsem i mam dość"],
        "gen_x": ["As a Gen X-er I just shrug at this", "gen x here, we survived worse", "Jako pokolenie X pamiętam inne czasy", "fellow gen xers, did you see this?"],
        "boomers": ["As a boomer I actually like this shop", "Jako boomer powiem wam: kiedyś było lepiej", "jestem boomerem i nie ogarniam tej aplikacji", "boomer here, can't find the button"],
    }
    for cohort, texts in self_id.items():
        for t in texts:
            add(cohort, "post.generation", text=t)
            add(cohort, "post.generation", text=t + " " + rng.choice(["😂", "🙃", "", "…"]))
    bio_words = {"gen_z": ["Gen Z", "zoomer"], "millennials": ["Millennial", "elder millennial", "milenialka"], "gen_x": ["Gen X", "GenX dad"], "boomers": ["baby boomer", "proud boomer"]}
    for cohort, words in bio_words.items():
        for w in words:
            for _ in range(2):
                add(cohort, "bio.generation_word", deco(w))
    # Life stage.
    stages = [("gen_z", ["in high school", "licealistka", "w liceum", "maturzysta 2026", "uczeń liceum", "in 8th grade", "w ósmej klasie", "studentka UW", "na studiach", "college freshman"]),
              ("boomers", ["my grandkids", "dumna babcia", "na emeryturze", "emerytowany nauczyciel", "happily retired", "moje wnuki to moje szczęście", "retired teacher", "proud grandma of 4"])]
    for cohort, phrases in stages:
        for p in phrases:
            add(cohort, "bio.life_stage", deco(p), created=date(2026)[0])
    for t, cohort in [("Spędzam weekend z wnukami, moje wnuki uwielbiają te lody", "boomers"), ("Spending the weekend with my grandkids, they love this place", "boomers"), ("jestem na emeryturze i mam czas na zakupy", "boomers"), ("I'm in high school and this is the only place we can afford", "gen_z"), ("piszę maturę za tydzień a ja tu o promocjach", "gen_z")]:
        add(cohort, "post.life_stage", text=t, created=date(2026)[0])
        add(cohort, "post.life_stage", text=t + " 😅", created=date(2025)[0])
    # Weak signals.
    for t in ["no cap this new menu is bussin", "fr fr the app is mid now 💀", "lowkey obsessed, it's giving main character 😭", "this ad understood the assignment, no cap", "sztos ta promocja, essa 💀", "ta reklama to cringe xd 😭"]:
        add("gen_z", "weak.slang", text=t)
    # Unknown: most mentions, and the hard negatives.
    for _ in range(60):
        lang = rng.choice(["pl", "en"])
        add("unknown", "no_evidence", deco(rng.choice(NAMES_BIO)) if rng.random() < 0.7 else "", lang=lang)
    # Phrasings the rule tables do not cover: labelled as a reader would, so they count
    # against recall and show what abstaining costs.
    misses = [("millennials", "", "90s kid here, this logo brings back memories"), ("millennials", "dzieciak lat 90.", "Kiedyś te stacje wyglądały inaczej"),
              ("boomers", "", "My retirement party was last week and they gave me a voucher"), ("boomers", "", "W tym roku idę na emeryturę, w końcu"),
              ("gen_z", "", "just got my driver's license and filled up for the first time"), ("gen_z", "", "Pierwszy rok po maturze i już tyle rachunków"),
              ("gen_x", "", "I remember the Berlin wall falling, I was in college then"), ("millennials", "", "my first job out of college was at a gas station"),
              ("gen_z", "uni: 2nd year", "Exam season and the store is out of energy drinks"), ("boomers", "Dziadek czwórki wnucząt", "Wnuki zabrały mnie na zakupy")]
    for cohort, bio, text in misses:
        add(cohort, "uncovered_phrasing", bio, text, created=date(2026)[0])
    negatives = [
        ("", "my son just turned 18 and wants a car"), ("", "My dad is 70 years old and still fills up there"), ("", "I'm 24 hours into this outage"),
        ("", "Mam 30 lat doświadczenia w branży i takiej obsługi nie widziałem"), ("", "boomers ruined the housing market"), ("", "ok boomer"),
        ("", "When I was in high school this was cheaper"), ("Family bakery since 1998", "New recipe for our customers"), ("", "I'm 5 minutes away from the store"),
        ("", "iPhone 15 still the best"), ("", "24/7 support my foot"), ("", "Mój syn jest w liceum i ciągle chce nowe buty"), ("", "typowy boomer za kierownicą"),
        ("", "I have 2 kids and no time"), ("", "my grandma was born in 1940"), ("", "Moja córka urodziła się w 2005"), ("", "Millennials killed another industry lol"),
        ("", "Gen Z won't buy this, says the report"), ("", "kiedy byłam w liceum, to było inaczej"), ("", "Orlen has been around since 1999"),
        ("Est. 2010 | craft beer", "New batch today"), ("", "I'm 100% sure this is a scam"), ("", "mam 2 lata gwarancji na ten telefon"), ("", "Urodziny sklepu: 25 lat na rynku"),
        ("", "my car is 15 years old and still runs"), ("", "This phone is 3 years old"), ("", "class of 2010 reunion was fun"), ("", "the boomer generation is retiring"),
        ("Fan of 90s music", "Another price hike"), ("", "She's 16 and already works there"), ("", "mój tata ma 60 lat i nadal jeździ"), ("", "not a millennial thing"),
    ]
    for bio, text in negatives:
        add("unknown", "hard_negative", bio, text)
    return out

BRANDS = ["Orlen", "Allegro", "Biedronka", "Apple", "Żywiec"]
BRAND_TEXT = {
    "Orlen": ["Orlen znowu podnosi ceny paliwa", "Na stacji Orlen dziś kolejka", "Orlen announced new prices today", "Co się dzieje z cenami na Orlenie?", "Wyniki Orlenu lepsze niż rok temu", "#orlen kolejna podwyżka"],
    "Allegro": ["Allegro ma nową dostawę do automatów", "Zamawiałem na Allegro i przyszło szybko", "Allegro Smart na rok, warto?", "Allegro's new app is confusing", "Na Allegro znowu awaria?", "@allegro coś nie działa płatność"],
    "Biedronka": ["W Biedronce znowu promocja na kawę", "Biedronka otwiera sklepy w niedziele?", "Kolejka w Biedronce jak zwykle", "Biedronka raises wages for staff", "#biedronka nowa gazetka"],
    "Apple": ["Apple announced a new iPhone today", "My iPhone battery dies by noon", "Apple znowu podniosło ceny", "New MacBook looks great", "AirPods keep disconnecting"],
    "Żywiec": ["Żywiec wypuścił nowe piwo bezalkoholowe", "Browar Żywiec zatrudnia", "Żywiec beer is everywhere in Kraków"],
}
PURCHASE = ["Kupiłem wczoraj i jestem zadowolony: ", "Zamówiłam i czekam: ", "I bought one last week: ", "My order still hasn't arrived: ", "Obsługa klienta nie odpisuje: ", "Tankowałem rano: ", "I've been using it for years: ", "Złożyłam reklamację: "]
PEOPLE = ["ala", "kasia_k", "tomek88", "jan.kowalski.bsky.social", "maria@mastodon.social", "pixelpiotr", "ewa_w", "mike_t", "sarah.bsky.social", "luke@fosstodon.org"]
EMP = {"Orlen": ("orlen.pl", "Orlenie", "Orlen"), "Allegro": ("allegro.com", "Allegro", "Allegro"), "Biedronka": ("jeronimo-martins.com", "Biedronce", "Biedronka"), "Apple": ("apple.com", "Apple", "Apple"), "Żywiec": ("grupazywiec.pl", "Żywcu", "Żywiec")}
OWN = {"Orlen": ["orlen", "orlen.bsky.social", "orlen.pl"], "Allegro": ["allegro", "allegrotech"], "Biedronka": ["biedronka"], "Apple": ["apple", "AppleSupport"], "Żywiec": ["zywiec"]}

def source_cases():
    out = []
    def add(source, rule, brand, text, handle, bio="", platform="mastodon"):
        out.append({"brand": brand, "text": text, "handle": handle, "bio": bio, "platform": platform, "source": source, "rule": rule})
    def text_for(b):
        return rng.choice(BRAND_TEXT[b])
    for b in BRANDS:
        # press
        add("press", "press.rss", b, text_for(b), "feed", "", "rss")
        add("press", "press.rss", b, text_for(b) + " – czytaj więcej", "rss.money.pl", "", "rss")
        for h in rng.sample(["tvn24", "reuters", "bbcnews", "PolsatNews", "rmf24pl", "gazeta_wyborcza", "money_pl", "bankier_pl", "anna.tvn24.pl", "news@social.bbc", "jan.wyborcza.pl", "nytimes"], 4):
            add("press", "press.account", b, text_for(b), h)
        for bio in rng.sample(["Dziennikarka ekonomiczna", "Reporter covering energy and markets", "Redaktor naczelny portalu motoryzacyjnego", "Correspondent in Warsaw for a German daily", "Dziennikarz śledczy. Tropię afery.", "Staff writer, tech desk", "Reporterka radiowa, Kraków", "Publicysta gospodarczy, felietony co tydzień", "Journalist. Views my own."], 3):
            add("press", "press.bio_role", b, text_for(b), rng.choice(PEOPLE), deco(bio))
        add("press", "press.bio", b, text_for(b), "infopl", "Najnowsze wiadomości z kraju i ze świata")
        # employee
        dom, inflected, plain = EMP[b]
        add("employee", "employee.domain", b, text_for(b), "piotr." + dom)
        add("employee", "employee.domain", b, text_for(b), rng.choice(PEOPLE), deco(f"kontakt: piotr.nowak@{dom}"))
        for bio in [f"Inżynier w {inflected}", f"Pracuję w {inflected} od 5 lat", f"SWE @{plain}", f"Product manager at {plain}", f"Kasjerka w {inflected}", f"Working at {plain}, opinions are my own"]:
            add("employee", "employee.bio_works_at", b, text_for(b), rng.choice(PEOPLE), deco(bio))
        own = OWN[b][0]
        add("employee", "employee.bio_handle", b, text_for(b), rng.choice(PEOPLE), deco(f"Marketing | @{own} | Warsaw"))
        add("employee", "employee.hashtag", b, text_for(b) + f" #{plain.replace('ż', 'z').replace('Ż', 'Z')}Life", rng.choice(PEOPLE), deco("rower"))
        add("employee", "employee.disclaimer", b, text_for(b), rng.choice(PEOPLE), deco(f"{plain}. Opinie są moje"))
        add("employee", "employee.disclaimer", b, text_for(b), rng.choice(PEOPLE), deco(f"Energy & retail @ {plain}. Views are my own."))
        add("employee", "employee.post_works_at", b, f"I work at {plain} and yes, we saw the complaints about the beer and the app", rng.choice(PEOPLE), deco("dad"))
        # customer
        for _ in range(6):
            add("customer", "customer.purchase", b, rng.choice(PURCHASE) + text_for(b), rng.choice(PEOPLE), deco(rng.choice(NAMES_BIO)) if rng.random() < 0.6 else "")
        for _ in range(6):
            add("customer", "customer", b, text_for(b), rng.choice(PEOPLE), deco(rng.choice(NAMES_BIO)) if rng.random() < 0.6 else "")
        for _ in range(10):
            lang_posts = rng.choice([POSTS_PL, POSTS_EN])
            add("customer", "customer", b, rng.choice(lang_posts) + " " + text_for(b), rng.choice(PEOPLE), deco(rng.choice(NAMES_BIO)))
        # hard negatives that are customers
        for bio in ["Former journalist, now baker", "Video editor & gamer", f"Fan of @{own}", "Aspiring journalist", "Były dziennikarz, teraz ogrodnik", f"Kocham {plain}!", "I'm not a bot, just a nerd", "Journalism student"]:
            add("customer", "hard_negative", b, text_for(b), rng.choice(PEOPLE), bio)
        add("customer", "hard_negative", b, f"My friend works at {plain} and says the beer and the app are fine", rng.choice(PEOPLE), "")
        # unknown
        for h in OWN[b]:
            add("unknown", "brand.own_account", b, text_for(b), h, "Oficjalny profil")
        add("unknown", "unknown.bot", b, text_for(b) + " 6.49 zł", "fuelpricebot", "")
        add("unknown", "unknown.bot", b, text_for(b), "ceny_pl", "Automatyczne konto: ceny i promocje")
        add("unknown", "unknown.bot", b, text_for(b), "dealsfeed", "Automated account posting deals from RSS feeds")
        add("unknown", "unknown.organization", b, text_for(b), "lotos_official", "Official account of a fuel company")
        add("unknown", "unknown.organization", b, text_for(b), "sklep_zoo", "Oficjalne konto sklepu zoologicznego. Zapraszamy!")
        # Uncovered: a staffer who says so only in words the tables lack.
        add("employee", "uncovered_phrasing", b, text_for(b), rng.choice(PEOPLE), deco(f"10 lat w {inflected}, logistyka"))
    return out

def brand_cases():
    out = []
    def add(rule, text, brands, handle="ala"):
        out.append({"text": text, "handle": handle, "brands": brands, "rule": rule})
    for t, b in [("zywiec to dobre piwo", "Żywiec"), ("ŻYWIEC beer all day", "Żywiec"), ("orlen podniósł ceny", "Orlen"), ("ORLEN!!!", "Orlen"), ("biedronka ma promocję", "Biedronka"),
                 ("BIEDRONKA znowu", "Biedronka"), ("ALLEGRO nie działa", "Allegro"), ("apple event tonight", "Apple"), ("ŻYWIEC PIWO", "Żywiec"), ("Zywiec Porter", "Żywiec")]:
        add("diacritics_case", t, [b])
    for t, b in [("Tankowałem na Orlenie", "Orlen"), ("Nie lubię Orlenu", "Orlen"), ("Jestem zawiedziony Orlenem", "Orlen"), ("Dzięki Orlenowi mamy drogie paliwo", "Orlen"),
                 ("Kupiłam to w Biedronce", "Biedronka"), ("Promocje Biedronki są słabe", "Biedronka"), ("Idę do Biedronki", "Biedronka"), ("Zamówiłem z Allegro", "Allegro"),
                 ("Apple's new phone", "Apple"), ("two iPhones later", "Apple"), ("Piwo z Żywca", "Żywiec"), ("W Żywcu w browarze", "Żywiec")]:
        add("inflection", t, [b])
    for t in ["Wakacje w Borlenge", "Borlänge is lovely", "Orlenowski street", "pineapple smoothie", "snapple drink", "allegretto in the score", "biedronkowy kolor sukienki? nie",
              "iphoneography tips", "żywiecczyzna? góry"]:
        add("word_boundary", t, [])
    for t in ["Orlen Cup 2026 final", "Orlen Basket Liga wyniki", "Sonata: allegro ma non troppo", "allegro con brio, second movement", "grandma's apple pie", "Big Apple weekend",
              "biedronka siedmiokropka w ogrodzie", "apple juice or apple cider?"]:
        add("excluded", t, [])
    for t, b in [("Jadę do Żywca na weekend", []), ("Żywiec to piękne miasto", []), ("Żywiec Zdrój woda", []), ("W Żywcu dobre piwo", ["Żywiec"]), ("Browar Żywiec ma nowe piwo", ["Żywiec"]), ("Żywiec porter is great", ["Żywiec"])]:
        add("required", t, b)
    for t, b in [("cc @orlen", ["Orlen"]), ("@allegro pomóżcie", ["Allegro"]), ("@AppleSupport my phone died", ["Apple"]), ("Dzięki @biedronka", ["Biedronka"]), ("cc @orlen.bsky.social", ["Orlen"]),
                 ("@orlenfan hi", []), ("@allegro_fan_club hi", []), ("email me at me@orlen.example", [])]:
        add("handle", t, b)
    for t, b in [("https://www.orlen.pl/pl/promocje", ["Orlen"]), ("see allegro.pl/oferta/123", ["Allegro"]), ("apple.com/iphone", ["Apple"]), ("sklep.biedronka.pl", ["Biedronka"]),
                 ("notorlen.pl scam", []), ("allegro.pl.evil.com/login", ["Allegro"]), ("play.pl oferty", ["Play"]), ("display.pl", [])]:
        add("domain", t, b)
    for t, b in [("#orlen drożyzna", ["Orlen"]), ("#Allegro #promo", ["Allegro"]), ("#iPhone life", ["Apple"]), ("#zywiec #piwo", ["Żywiec"]), ("#biedronka gazetka", ["Biedronka"]), ("#orlenfans", []), ("#playpolska", ["Play"])]:
        add("hashtag", t, b)
    for t, b in [("Żywiec piwo kupione w Biedronce, płacone iPhonem", ["Żywiec", "Biedronka", "Apple"]), ("Orlen vs Allegro: kto ma lepszą apkę?", ["Orlen", "Allegro"]),
                 ("Na stacji Orlen kupiłam AirPods? Nie, w Biedronce", ["Orlen", "Apple", "Biedronka"]), ("Przeszedłem do sieci Play z Orange", ["Play"]), ("Nic ciekawego dziś", []), ("Kupiłem Play Station", [])]:
        add("multi_or_none", t, b)
    return out

for name, cases in [("cohort", cohort_cases()), ("source", source_cases()), ("brands", brand_cases())]:
    with open(f"{name}.jsonl", "w") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print(len(cases), name, "cases")
