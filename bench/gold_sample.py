"""Writes bench/gold_sample.json: journal-like entries with their entities marked by hand.

Kept as Python so each entry and its marks sit side by side; run it after editing.
"""

import json
from pathlib import Path

P, L, G, A = "Person", "Place", "Group", "Activity"
SAMPLES = [
    (
        "Went hiking with Sarah at Mount Tam. Mom called in the evening.",
        [("Sarah", P), ("Mount Tam", L), ("Mom", P), ("hiking", A)],
    ),
    (
        "Coffee with Priya Raman at Blue Bottle before work. She is moving to Lisbon.",
        [("Priya Raman", P), ("Blue Bottle", L), ("Lisbon", L)],
    ),
    (
        "The book club met at Dana's place. We argued about Middlemarch for two hours.",
        [("book club", G), ("Dana", P)],
    ),
    (
        "Dad and I went fishing on Lake Tahoe. He caught nothing and laughed about it.",
        [("Dad", P), ("I", P), ("fishing", A), ("Lake Tahoe", L)],
    ),
    (
        "My sister visited from Chicago. We went swimming at the Y.",
        [("my sister", P), ("Chicago", L), ("swimming", A)],
    ),
    (
        "Dr. Okafor says the knee is healing. Started running again, slowly.",
        [("Dr Okafor", P), ("running", A)],
    ),
    (
        "Choir practice ran late. The Tuesday choir is singing at St. Mary's in May.",
        [("Tuesday choir", G), ("St. Mary's", L)],
    ),
    (
        "Long call with Jordan about the move to Denver. Miguel helped pack the van.",
        [("Jordan", P), ("Denver", L), ("Miguel", P)],
    ),
    ("Rainy Sunday. Read all afternoon and baked bread with Grandma.", [("Grandma", P)]),
    (
        "Lunch with the Harbor team at Nopa. Kenji presented the roadmap.",
        [("Harbor team", G), ("Nopa", L), ("Kenji", P)],
    ),
    ("Ran into Aunt Rosa at the farmers market in Berkeley.", [("Aunt Rosa", P), ("Berkeley", L)]),
    (
        "Tried climbing for the first time with Leo and Maya at Mission Cliffs.",
        [("climbing", A), ("Leo", P), ("Maya", P), ("Mission Cliffs", L)],
    ),
    ("My boss approved the vacation. Booked flights to Tokyo.", [("my boss", P), ("Tokyo", L)]),
    (
        "The running club did ten miles along the Embarcadero. Sam kept the pace.",
        [("running club", G), ("Embarcadero", L), ("Sam", P)],
    ),
    ("Quiet day. Finished the puzzle and went to bed early.", []),
    (
        "Visited Uncle Ben in Portland. We went kayaking on the Willamette.",
        [("Uncle Ben", P), ("Portland", L), ("kayaking", A), ("Willamette", L)],
    ),
    (
        "Mum sent photos from Brighton. Zoe is learning to ride a bike.",
        [("Mum", P), ("Brighton", L), ("Zoe", P)],
    ),
    (
        "Chess club tonight. Lost twice to Viktor, won once against Hannah.",
        [("Chess club", G), ("Viktor", P), ("Hannah", P)],
    ),
    (
        "Flew home from Mexico City. Ana drove me from the airport.",
        [("Mexico City", L), ("Ana", P)],
    ),
    (
        "Started gardening again. The tomatoes at the community garden look sad.",
        [("gardening", A), ("community garden", L)],
    ),
    (
        "Dinner at Marco's with Ellie and her husband Tom. Great pasta.",
        [("Marco's", L), ("Ellie", P), ("Tom", P)],
    ),
    ("Annual checkup with Dr. Patel. All fine.", [("Dr Patel", P)]),
    (
        "The hiking group walked from Muir Woods to Stinson Beach.",
        [("hiking group", G), ("Muir Woods", L), ("Stinson Beach", L)],
    ),
    (
        "My brother Felix called from Berlin about the wedding.",
        [("Felix", P), ("Berlin", L), ("my brother", P)],
    ),
    (
        "Went skiing at Kirkwood with the Anderson family.",
        [("skiing", A), ("Kirkwood", L), ("Anderson family", G)],
    ),
    (
        "Volunteered at the food bank with Grace. The Oakland crew was short-handed.",
        [("food bank", L), ("Grace", P), ("Oakland crew", G)],
    ),
    (
        "Painting class at the community center. Ms. Alvarez liked my sky.",
        [("Painting class", G), ("community center", L), ("Ms Alvarez", P)],
    ),
    ("Finally finished reading Dune. Nadia was right, the ending is great.", [("Nadia", P)]),
    (
        "Biked to Sausalito with Chris. Ferry back to San Francisco at sunset.",
        [("Sausalito", L), ("Chris", P), ("San Francisco", L)],
    ),
    (
        "Orchestra rehearsal at Davies Hall. Conductor Ivanova pushed us hard.",
        [("Orchestra", G), ("Davies Hall", L), ("Ivanova", P)],
    ),
]


def main() -> None:
    entries = [
        {"text": text, "entities": [{"name": n, "type": t} for n, t in marks]}
        for text, marks in SAMPLES
    ]
    out = Path(__file__).with_name("gold_sample.json")
    out.write_text(json.dumps({"entries": entries}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} entries to {out}")


if __name__ == "__main__":
    main()
