"""The word lists the rules read: what words are (verbs, kin, place and group heads,
activities) rather than which names exist.

Large lists live in ``data/`` as plain text (one entry a line, or several a line for
first names; ``#`` starts a comment); the rest are here, small and reviewed by hand.
Everything is matched case-insensitively unless a comment says otherwise.
"""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from pathlib import Path

_DATA = Path(__file__).parent / "data"


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """The key a word is looked up by: case, diacritics and curly apostrophes ignored."""
    text = unicodedata.normalize("NFKD", word.replace("’", "'").casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def word_set(text: str) -> frozenset[str]:
    return frozenset(fold(w) for w in text.split())


def _lines(name: str) -> list[str]:
    lines = (_DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@cache
def english_words() -> frozenset[str]:
    """Common English words (lower case), with British -ise/-our spellings added."""
    words = set(_lines("english_words.txt"))
    for word in list(words):
        if "iz" in word:
            words.add(word.replace("iz", "is"))
        if word.endswith(("or", "ors")) and len(word) > 4:
            words.add(word.replace("or", "our"))
    return frozenset(words | EXTRA_WORDS)


@lru_cache(maxsize=65536)
def is_common(key: str) -> bool:
    """Whether a folded word is common English, inflected forms included ("humbling",
    "kayaked", "foxes")."""
    words = english_words()
    if key in words:
        return True
    if "-" in key.strip("-"):
        return all(is_common(part) for part in key.split("-") if part)  # "parent-teacher"
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix) + 3 and is_common(key[len(prefix) :]):
            return True  # "rewatched", "unpacked", "overslept"
    for suffix, replacements in _INFLECTIONS:
        if key.endswith(suffix) and len(key) > len(suffix) + 2:
            stem = key[: -len(suffix)]
            if any(stem + r in words for r in replacements):
                return True
            if len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in words:
                return True  # "swimming", "stopped"
    return False


_PREFIXES = ("re", "un", "over", "out", "mis", "pre", "under", "co-", "re-", "non", "self-")
_INFLECTIONS = (
    ("ing", ("", "e")),
    ("ed", ("", "e")),
    ("ies", ("y",)),
    ("ied", ("y",)),
    ("es", ("", "e")),
    ("s", ("",)),
    ("ly", ("", "le")),
    ("er", ("", "e")),
    ("est", ("", "e")),
)


@cache
def first_names() -> frozenset[str]:
    return frozenset(fold(w) for line in _lines("first_names.txt") for w in line.split())


@cache
def known_places() -> frozenset[str]:
    return frozenset(fold(line) for line in _lines("places.txt"))


# Words the SCOWL list lacks that open journal sentences or fill texting-style ones.
EXTRA_WORDS = word_set(
    """
    i'm i've i'd i'll he's she's it's that's there's here's what's who's let's we've we'd
    we'll they've they'd they'll you've you'd you'll he'd he'll she'd she'll it'll dont
    didnt cant wont isnt wasnt im ive id ill thats theres doesnt couldnt wouldnt shouldnt
    standup stand-up retro offsite onboarding inbox email emails emailed emailing texted
    texting startup startups app apps online offline wifi laptop smartphone selfie
    podcast podcasts playlist livestream website weekend weekends meetup meetups
    latte lattes espresso okay ok omg lol lmao ugh yay hmm haha hahaha wow yeah yep nope
    gonna wanna gotta kinda sorta u ur w/ w bc tbh idk btw fyi imo rn tho thru pls plz
    thx ty np brb irl asap eta ngl smh jk ppl sooo soooo fave bday hangout hangouts
    overthinking overthink video-called facetimed workout workouts prep meal-prep
    groceries grocery sunrise sunset rainy drizzly muggy breezy afterwards anyway anyways
    brunch dinnertime lunchtime bedtime midweek midday mid-morning tonight tomorrow
    """
)

# Never a name wherever they stand, even capitalised mid-sentence.
NEVER_NAMES = word_set(
    """
    i i'm i've i'd i'll me my mine we us our you your he him his she her they them their
    it its the a an this that these those and or but so if then also just not no yes
    today tonight tomorrow yesterday morning afternoon evening night noon midnight
    monday tuesday wednesday thursday friday saturday sunday weekend mon tue tues wed
    thu thur thurs fri sat sun mondays tuesdays wednesdays thursdays fridays saturdays
    sundays weekends
    january february march april may june july august september october november december
    sept
    christmas xmas easter thanksgiving halloween hanukkah chanukah passover ramadan eid
    diwali holi navratri pongal onam vesak tet tết nowruz kwanzaa juneteenth purim
    rosh hashanah yom kippur sukkot lent advent pentecost epiphany solstice equinox
    valentine's valentines mardi gras carnival oktoberfest
    tv ok am pm asap fyi btw lol omg diy pt pr ceo cto cfo vp phd md usb pdf gps atm id dm
    dj mc rsvp eta faq aka etc e.g. i.e. vs mph km kg lbs hr mins min sec
    god jesus allah buddha
    english spanish french german italian portuguese dutch polish russian ukrainian
    greek turkish arabic hebrew persian farsi hindi urdu bengali punjabi tamil telugu
    malayalam kannada marathi gujarati chinese mandarin cantonese japanese korean
    vietnamese thai tagalog filipino indonesian malay swahili yoruba igbo hausa amharic
    zulu xhosa afrikaans maori māori hawaiian samoan tongan irish scottish welsh british
    american canadian mexican brazilian argentinian argentine colombian peruvian chilean
    cuban venezuelan australian kiwi nigerian ghanaian kenyan ethiopian egyptian
    moroccan lebanese syrian iraqi iranian israeli palestinian saudi emirati afghan
    pakistani indian nepali bangladeshi lankan tibetan mongolian kazakh uzbek
    swedish norwegian danish finnish icelandic nordic scandinavian european asian
    african latino latina latinx hispanic caribbean jamaican haitian czech slovak
    hungarian romanian bulgarian serbian croatian bosnian
    slovenian albanian armenian georgian azerbaijani lithuanian latvian estonian
    belgian swiss austrian catalan basque galician sicilian neapolitan tuscan bavarian
    texan californian midwestern hmong maori sami inuit navajo cherokee quechua kurdish
    berber amazigh romani uyghur yazidi druze pashtun tajik hausa fulani ashanti
    catholic protestant christian muslim jewish hindu buddhist sikh jain orthodox
    lutheran baptist methodist anglican mormon quaker atheist agnostic
    hip-hop reggaeton k-pop kpop
    """
)

# Music genres: never a name alone, but part of some ("Opera House", "Rock Creek").
GENRES = word_set(
    """
    jazz blues rock pop rap reggae techno house punk metal indie folk country classical
    opera soul funk disco gospel grunge emo ska bluegrass r&b edm
    """
)

# Products and apps: never entities (GUIDELINES), unless plainly an employer.
PRODUCTS = word_set(
    """
    whatsapp instagram insta tiktok youtube netflix hulu spotify zoom slack facetime skype
    discord snapchat tinder hinge bumble venmo paypal gmail excel powerpoint notion figma
    duolingo strava peloton kindle iphone ipad macbook mac android xbox playstation
    nintendo lego fiat honda toyota subaru prius volvo bmw audi jeep vespa airpods fitbit
    roomba chatgpt wordle tylenol advil uber lyft airbnb doordash instacart lime google
    maps waze pinterest reddit linkedin twitter x threads bluesky messenger signal
    telegram wechat kakao kakaotalk line jira github trello canva photoshop lightroom
    """
)

HONORIFICS = word_set("dr dr. mr mr. mrs mrs. ms ms. mx mx. prof prof. miss mister madame mme")

# Capitalised kin or courtesy titles that stay with the name: "Aunt Rosa", "Tío Beto".
KIN_TITLES = word_set(
    """
    aunt auntie aunty uncle tio tío tia tía tita tito dona doña dom don cousin grandma
    grandpa granny nana nonna nonno oma opa baba babcia ciocia wujek tante onkel zia zio
    ate kuya lolo lola bibi sister brother father pastor rabbi imam coach chef sensei
    señor senor señora senora sr. sra. herr frau sir dame lady lord judge officer captain
    professor saint
    """
)

# Capitalised kin words used as names (GUIDELINES: Mom, Dad, Grandma, Nana, Amma, Lola).
KIN_NAMES = word_set(
    """
    mom mum mommy mummy mama mamma momma mam mamá mami dad daddy papa papá papi pa pop
    pops grandma grandpa grandmother grandfather granny gran grandad granddad gramps
    grammy nana nan nanna abuela abuelo abuelita abuelito amma appa achan ammi abba abbu
    ammu lola lolo nonna nonno oma opa omi opi mormor morfar farmor farfar babcia
    dziadek babushka bubbe bubby zayde saba savta halmeoni halmoni harabeoji umma eomma
    baba mutti vati maman tata ammamma ammachi nani dadi dada bibi tutu ba mother father
    """
)

# Kin and roles that are one specific person after "my"/"our" ("my sister", "Our boss").
KIN_ROLES = word_set(
    """
    mom mum mother dad father stepmom stepmum stepdad stepmother stepfather parent
    sister brother stepsister stepbrother half-sister half-brother twin wife husband
    spouse partner boyfriend girlfriend fiancé fiancée fiance fiancee ex son daughter
    stepson stepdaughter grandma grandpa grandmother grandfather granny nana grandson
    granddaughter aunt uncle cousin niece nephew godmother godfather goddaughter godson
    mother-in-law father-in-law sister-in-law brother-in-law son-in-law daughter-in-law
    manager boss therapist doctor dentist landlord landlady coach trainer teacher tutor
    professor advisor adviser mentor supervisor roommate flatmate housemate neighbor
    neighbour colleague coworker co-worker cofounder co-founder assistant intern barber
    hairdresser stylist physio physiotherapist psychiatrist psychologist counselor
    counsellor pastor priest rabbi imam lawyer accountant sponsor editor agent
    babysitter nanny director captain lead bestie best-friend oncologist surgeon
    midwife doula vet pediatrician gp
    """
)
KIN_ADJECTIVES = word_set(
    "old older younger little big baby twin new ex former oldest youngest eldest late dear"
)

# A capitalised span that starts with one of these is a Place: "Mount Si", "Lake Union".
PLACE_HEADS_FIRST = word_set(
    "lake mount mt mt. fort ft. port cape isle camp lac rio río san santa st. saint los las"
    " puerto glen point bay gulf hotel café cafe caffè caffe museum university casa chez"
    " hacienda villa palacio plaza bar"
)
# A capitalised span holding one of these is a Place: "Alki Beach", "Pike St.",
# "Caffè Vita", "Century Ballroom" (venues are Places: GUIDELINES).
PLACE_HEADS = word_set(
    """
    lake lakes park parks beach beaches street st. st avenue ave. ave road rd. rd
    boulevard blvd. blvd lane highway hwy freeway square plaza place terrace bridge
    river creek falls canyon valley mountain mountains mount mt. peak ridge pass point
    island islands isle peninsula bay harbor harbour cove coast shore sound strait inlet
    marina pier wharf dock docks locks dam trail trails trailhead gardens garden
    arboretum zoo aquarium forest rainforest woods reserve preserve refuge glacier desert
    dunes springs market markets mall center centre museum gallery library theater
    theatre cinema opera stadium arena field ballpark ballroom hall auditorium church
    cathedral basilica chapel temple mosque synagogue monastery abbey shrine castle
    palace fort tower station terminal airport school elementary academy college
    university institute hospital clinic hotel inn motel hostel lodge resort spa
    campground cabin farm ranch vineyard winery brewery brewing distillery taproom
    tavern pub bar lounge café cafe caffè caffe coffee roasters roastery espresso bakery
    kitchen grill diner bistro brasserie trattoria osteria pizzeria pizza taqueria
    cantina noodles noodle ramen sushi dumplings deli creamery shellfish oyster oysters
    seafood steakhouse smokehouse bbq books bookstore bookshop shop store supply
    hardware co-op gym fitness physio physiotherapy dental salon barbershop village
    heights hills commons quarter district boardwalk promenade esplanade fairgrounds
    courthouse capitol observatory lighthouse memorial monument cemetery pool pools
    rink playground campus headlands overlook viewpoint lookout crag crags ledge bluff
    bluffs cliff cliffs rock rocks butte mesa meadow meadows prairie marsh lagoon gorge
    summit spit reef pond reservoir basin flats hollow notch dome crater volcano cave
    caves cavern grotto tunnel house alley yard quay arcade
    """
)
# Heads that are also common surnames: "Hye-jin Park" with a first name is a person.
SURNAME_HEADS = word_set(
    "park field hill hall woods wood brooks banks church lane ford bay house rock rocks"
)

# A capitalised span holding one of these is a Group: "Capitol Hill Chorale".
GROUP_HEADS = word_set(
    """
    club team association assn society collective chorale choir chorus orchestra
    symphony philharmonic band ensemble troupe players singers league union committee
    council crew guild alliance federation foundation coalition party inc inc. llc ltd
    ltd. corp corp. corporation company group partners analytics labs lab technologies
    systems software solutions consulting capital ventures holdings industries
    enterprises media studios games entertainment publishing airlines airways motors
    pharmaceuticals therapeutics biosciences robotics dynamics interactive networks
    communications agency department ministry commission authority scouts fellowship
    brigade corps brotherhood sisterhood quartet trio quintet collective cooperative
    fc united athletic rovers wanderers
    """
)
# Well-known employers and organisations (Groups; stores you go to are Places, and
# apps used as products are no entity: PRODUCTS).
COMPANIES = frozenset(
    fold(line.strip())
    for line in """
    Amazon|Microsoft|Google|Alphabet|Meta|Apple|Boeing|Nike|Intel|IBM|Oracle|Salesforce|
    Adobe|Nvidia|Tesla|SpaceX|Expedia|Zillow|Tableau|Deloitte|Accenture|McKinsey|KPMG|
    PwC|Goldman Sachs|JPMorgan|Morgan Stanley|Disney|Pixar|NASA|OpenAI|Anthropic|Stripe|
    Shopify|Samsung|Sony|Toyota|Pfizer|Moderna|T-Mobile|Verizon|Comcast|Walmart|
    Starbucks Corporate|Airbus|Siemens|Unilever|Nestlé|BBC|NPR|UNICEF|Red Cross|
    Peace Corps|AmeriCorps|Habitat for Humanity|Greenpeace|NHS|UN|WHO|EU|NATO|FIFA|NBA|
    NFL|MLB|NHL|MLS|WNBA|Valve|Bungie|Blizzard|Riot Games|EA|Ubisoft|Atlassian|
    ByteDance|Tencent|Alibaba|Huawei|Infosys|
    Wipro|TCS|Cognizant|Capgemini|Bain|BCG|EY|Fidelity|Vanguard|BlackRock|Citi|HSBC|
    Barclays|Chase|Wells Fargo|Bank of America|Costco Corporate|PATH|Gates Foundation
    """.split("|")
    if line.strip()
)

# Venue words that make "… Co." a business you go to (a Place), not an employer.
VENUE_WORDS = word_set(
    """
    brewing brewery coffee roasters oyster oysters bakery pizza kitchen cafe café
    tea distillery winery cider spirits bagel bagels donut donuts doughnut creamery
    """
)

# Lower-case group heads for unnamed groups: "the book club", "the data team".
GROUP_NOUNS = word_set(
    "club team crew circle committee council board group choir band squad league"
    " society orchestra troupe ensemble chorus collective"
)
GROUP_ACRONYMS = frozenset({"PTA", "PTO", "PTSA", "HOA"})
# Adjectives dropped before a group noun ("the new book club" is "book club").
GROUP_ADJECTIVES = word_set(
    """
    new old whole entire same other local usual big small little great good bad best
    favorite favourite first last next weekly monthly annual regular amazing full main
    own only original current former rival opposing whole nice lovely
    """
)

# Words before a name that say where ("at Café Réveille", "from Lagos").
PLACE_PREPOSITIONS = word_set(
    "at in to from near into around across through via toward towards outside inside"
    " past along onto within between beyond"
)
# "to" after these is a person ("talked to Sam", "listened to Fleet Foxes").
TO_PERSON_VERBS = word_set(
    """
    talk talked talking talks speak spoke speaking spoken said say says write wrote
    writing written text texted texting send sent sending listen listened listening
    introduce introduced explain explained apologize apologized apologise apologised
    wave waved reply replied mention mentioned show showed shown give gave given hand
    handed read sang sing sung lie lied complain complained married engaged belong
    belongs belonged close closer happened happen talked next thanks thank
    """
)
# A name after these is a person ("with Sarah", "met Omar", "a guy named Harold").
PERSON_BEFORE = word_set(
    """
    with w/ w met meet meeting called call calling texted text texting emailed email
    messaged told tell telling asked ask asking hugged hug thanked thank invited invite
    named helped help dated dating married marry and
    """
)
# "up"/"down" after these is a place ("hiked up Tiger Mountain", "walked down Pike").
MOTION_VERBS = word_set(
    """
    drove drive driving walked walk walking hiked hike hiking ran run running biked bike
    biking cycled cycle cycling climbed climb climbing went go going headed head moved
    move rode ride cruised wandered strolled skated paddled sailed jogged
    """
)
# A name then one of these is a person ("Camila said", "Tariq brought").
PERSON_AFTER = word_set(
    """
    said says say asked asks told tells called calls texted texts messaged emailed replied
    laughed laughs smiled smiles cried cries sighed shrugged nodded insisted insists
    promised admitted agreed explained mentioned suggested joked complained thinks
    thought think knew knows wants wanted loves loved likes liked hates hated brought
    came comes arrived picked drove flew cooked showed taught invited hosted helped
    offered sent gave bought met joined spotted declared defended volunteered filmed
    slept finished seems seemed looked looks sounds sounded keeps kept tried decided
    refused hugged kissed married turned admits wrote writes sang sings danced
    who's who whose herself himself
    """
)
# "X's" then one of these: X is a person ("Lena Park's apartment", "Rahul's wedding").
PERSON_POSSESSIONS = word_set(
    """
    apartment place house home flat room bedroom couch sofa kitchen garden backyard
    birthday wedding funeral party shower graduation baby kids kid children son daughter
    mom mum dad mother father parents brother sister wife husband partner girlfriend
    boyfriend fiancé fiancée family cousin cousins aunt uncle grandma grandpa dog cat
    puppy kitten car bike phone friend friends colleague boss knee hip back shoulder face
    voice laugh flight visit advice idea story stories recipe cooking roommate landlord
    office desk thesis book books new old first own favorite favourite partner
    band music playlist art paintings photos video videos hand hands eyes hair health
    surgery recovery condition job career work promotion retirement
    """
)
# "X's" then one of these: X is a place ("Lisbon's trams").
PLACE_POSSESSIONS = word_set(
    """
    campus downtown waterfront harbor harbour skyline streets neighborhoods
    neighbourhoods suburbs airport beaches coast parks mayor weather traffic outskirts
    center centre population subway metro trams markets old nightlife rain
    """
)
# "X" then one of these (no possessive): X names a group ("the Seahawks game").
GROUP_MODIFIED = word_set(
    """
    game games match season fans fan jersey jerseys roster lineup reorg layoffs offsite
    interview recruiter badge stock shares merch album gig tour playoffs concert show
    stadium crowd squad players coach job internship headquarters hq office offices
    """
)
# "X" then one of these (no possessive): X names a place ("the Bainbridge ferry").
PLACE_MODIFIED = word_set(
    """
    ferry trip weekend vacation getaway airport waterfront downtown traffic shoreline
    coastline coast beach area side neighborhood neighbourhood branch location skyline
    streets loop ride drive hike trailhead market farmers weather sunset sunrise
    day-trip bike ferries bus train light rail station terminal apartment rental
    campus
    """
)
# Verbs after which a capitalised name is a title, not an entity ("Read Piranesi").
TITLE_VERBS = word_set(
    """
    read reading reread rereading finished finishing watched watching rewatched
    rewatching binged bingeing streamed sang sing singing sung hummed humming played
    playing
    """
)
# Verbs after which a name is an employer ("leaving Amazon", "joined Brightline").
EMPLOYER_BEFORE = word_set(
    """
    joined joining join quit quitting hired interviewing interviewed works working
    worked employed recruited
    """
)
# Weaker: "leaving Amazon", but also "leaving Boston".
LEAVING = word_set("leaving left leave leaves")
EMPLOYER_AFTER = word_set("offer interview recruiter layoffs reorg badge")
# Words that, before "at", make the name an employer ("works at Brightline", "a job at
# Northwind").
WORK_WORDS = word_set(
    """
    work works worked working job intern internship interned role position contract
    onboarding shift promotion employer colleagues colleague coworkers coworker
    co-workers co-worker boss manager ceo cto cfo founder cofounder recruiter interview
    offer
    """
)
# Words that, before "for", make the name an employer or a team ("works for Acme",
# "rooting for the Mariners").
FOR_GROUP_WORDS = word_set(
    """
    work works worked working intern interning interned volunteer volunteers
    volunteering volunteered play plays played playing root rooting rooted cheer
    cheering cheered signed sign
    """
)
# A name then one of these is a team, band or company ("Sounders lost").
GROUP_AFTER = word_set(
    """
    won lost beat scored tied drew played performed headlined announced released hired
    acquired shipped launched merged folded
    """
)
# Before "the X", these make X a team or band ("watched the Kraken", "against the Storm").
FAN_WORDS = word_set(
    """
    watched watching watch cheered cheering rooting root support supporting supported
    beat beating against versus vs vs. played playing
    """
)

# Animals (GUIDELINES: never entities, named ones included).
ANIMALS = word_set(
    """
    dog dogs cat cats puppy kitten horse pony bird parrot fish goldfish hamster rabbit
    bunny starfish turtle tortoise lizard snake goat chicken hen cow pig guinea-pig
    ferret gecko crab octopus duck goose seal otter
    """
)

# Verbs and adverbs that open sentences, in base, past and -ing forms. A capitalised
# span whose first word is one of these drops that word ("Hiked Mount Si"), even where
# the rest could otherwise keep it ("Green Lake").
OPENER_WORDS = word_set(
    """
    met read ran saw went took got drove flew ate made had found left brought bought came
    sat swam rode wrote spent lost won caught taught thought told sold heard felt kept
    slept woke began became fell gave knew grew drew threw wore hung held stood paid said
    sent built meant sang drank forgot chose froze broke spoke hid lit hit cut put set
    shut let quit led fed fought sought shook stuck struck swore tore wept
    call finish return book pick ask buy get email text visit check renew send pay meet
    clean fix plan try make take bring order cancel schedule remember remind note call
    start stop go come see watch listen drive fly walk run hike swim cook bake tell
    afterwards afterward later then eventually finally apparently honestly basically
    actually anyway anyways also still maybe perhaps somehow suddenly luckily sadly
    thankfully hopefully definitely probably obviously clearly surely literally
    yesterday today tonight tomorrow this that these those the a an my our your his her
    their its some any every each no not and but or so if when while after before
    because since until unless although though as once like just only even
    """
)

# Irregular past tenses: with "-ed" words, the verbs that never modify a group noun.
PAST_VERBS = word_set(
    """
    met read ran saw went took got drove flew ate made had found left brought bought came
    sat swam rode wrote spent lost won caught taught thought told sold heard felt kept
    slept woke began became fell gave knew grew drew threw wore hung held stood paid said
    sent built meant sang drank forgot chose froze broke spoke hid lit hit cut put set
    shut let quit led fed fought sought shook stuck struck swore tore wept
    """
)

# Activities (GUIDELINES: sport, exercise, recreation, art, craft or practice), as
# nouns or gerunds. A span of two words is matched whole ("board games").
ACTIVITIES = word_set(
    """
    hiking climbing bouldering swimming kayaking canoeing rowing sailing surfing
    windsurfing kitesurfing paddleboarding paddle-boarding sup paddling snorkeling
    snorkelling diving scuba cycling biking running jogging skiing snowboarding
    snowshoeing sledding sledging tobogganing skating skateboarding rollerblading
    fishing camping backpacking birdwatching birding stargazing gardening painting
    drawing sketching knitting crocheting crochet sewing quilting embroidery weaving
    woodworking pottery ceramics sculpting sculpture calligraphy photography dancing
    singing meditation meditating yoga pilates barre zumba spin crossfit weightlifting
    powerlifting lifting boxing kickboxing wrestling judo karate taekwondo jiu-jitsu
    aikido fencing archery bowling golf golfing tennis pickleball badminton squash
    volleyball basketball baseball softball soccer football rugby cricket hockey
    lacrosse netball handball frisbee chess mahjong poker karaoke improv ballet salsa
    tango bachata merengue flamenco capoeira parkour triathlon orienteering geocaching
    hunting foraging scrapbooking origami gaming darts billiards snooker bocce croquet
    curling rafting tubing ziplining caving spelunking mountaineering trekking
    scrambling slacklining juggling choir piano guitar violin cello drums ukulele
    flute saxophone trumpet bass harp clarinet dance ballroom swing hip-hop tai-chi
    qigong stretching aerobics acroyoga surf ski hike run jog swim climb paddle row
    sail skate dive walk ride workout crosswords puzzles chess birding ceilidh
    contra square-dancing line-dancing cross-country sculling rock-climbing
    ice-skating figure-skating roller-skating water-skiing wakeboarding kiteboarding
    horse-riding horseback bridge pool quiz trivia bingo jigsaw lindy tap jazz
    """
)
ACTIVITY_COMPOUNDS = frozenset(
    {
        ("board", "games"),
        ("board", "game"),
        ("bike", "ride"),
        ("bike", "rides"),
        ("ice", "skating"),
        ("rock", "climbing"),
        ("trail", "running"),
        ("mountain", "biking"),
        ("road", "cycling"),
        ("open", "water"),
        ("table", "tennis"),
        ("ping", "pong"),
        ("tai", "chi"),
        ("kung", "fu"),
        ("jiu", "jitsu"),
        ("disc", "golf"),
        ("ultimate", "frisbee"),
        ("horseback", "riding"),
        ("cross-country", "skiing"),
        ("water", "polo"),
        ("figure", "skating"),
        ("roller", "derby"),
        ("hot", "yoga"),
        ("video", "games"),
        ("swing", "dancing"),
        ("salsa", "dancing"),
        ("line", "dancing"),
        ("square", "dancing"),
        ("wild", "swimming"),
        ("cold", "plunge"),
        ("sea", "kayaking"),
        ("rock", "climb"),
        ("trail", "run"),
        ("long", "run"),
    }
)
# Activity words that are also verbs or plain nouns: only an activity with a
# determiner or adjective before it ("a slow run"), a container after it ("swim
# practice"), after "went"/"go" ("went for a swim"), or opening a line ("Swim at 7").
NOUN_ONLY_ACTIVITIES = word_set(
    "hike run jog swim climb paddle row sail skate dive walk ride surf ski workout dance"
    " spin bridge pool quiz swing bass jazz tap square contra lifting"
    " stretching sculpture drums guitar piano violin cello flute harp trumpet saxophone"
    " clarinet ukulele choir ballroom trivia bingo jigsaw puzzles crosswords"
)
# Of those, the ones that still need a container to count: "piano lessons" is piano,
# but "the piano" or "a jigsaw" is an object, not the activity.
CONTAINER_ONLY_ACTIVITIES = word_set(
    "piano guitar violin cello flute harp trumpet saxophone clarinet ukulele drums bass"
    " choir ballroom bridge pool quiz trivia bingo jigsaw tap jazz swing square contra"
    " lindy"
)
# Words after an activity that are part of doing it; the container itself is dropped
# (GUIDELINES: "painting class" is painting).
CONTAINERS = word_set(
    "class classes lesson lessons practice practise session sessions course courses night"
    " nights workshop workshops trip trips day days date outing tournament"
    " meet camp retreat drills training"
)
# Before a noun-only activity, these make it one ("a slow run", "one long hike").
ACTIVITY_DETERMINERS = word_set(
    """
    a an one another the my our first second last long short slow quick easy hard
    gentle brisk big little morning evening night sunrise sunset early late afternoon
    coastal evening sunday saturday weekend daily nightly solo group recovery tempo
    5k 10k half lovely nice great good beautiful muddy rainy sweaty steep hilly
    leisurely proper real decent quick long-ish
    """
)
# After a noun-only activity, these say it is not the activity ("run to the store").
NOT_ACTIVITY_AFTER = word_set("to home back from into out late errands low short")
# Before an activity noun, these make it something else ("a ski run", "black run").
NOT_ACTIVITY_BEFORE = word_set(
    "ski black blue green red bunny diamond double-black practice test trial dry home"
    " bank milk school supply test"
)
# Activity words used as a modifier of these nouns are not the activity ("climbing
# gym", "yoga mat"). Anything lower-case and not a function word counts as such a
# noun; this list adds the ones the function-word test would miss.
FUNCTION_WORDS = word_set(
    """
    a an the and or but nor so yet for of to in on at by with w/ from into onto upon
    over under above below about around through across along between among after
    before during until till since near past beyond without within toward towards
    against via per than then too also all both each every some any no none this that
    these those my our your his her their its me us him them i we you he she they it
    is are was were be been being am do does did have has had will would can could
    should may might must shall again afterwards later today tonight tomorrow yesterday
    this morning evening night week weekend all day twice once every again first
    finally even still just only really very so such quite pretty though although
    because while when where which who whom whose what how why if unless
    whenever wherever as like instead more less most least much many few lots lot
    together alone already ever never always often sometimes usually here there now
    not no yes ok okay well plus minus w
    """
)
