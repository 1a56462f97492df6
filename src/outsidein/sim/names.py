"""Word lists that make the simulated company readable: people, companies, places, titles."""

from __future__ import annotations

VENDOR_DOMAIN = "northbeam.example"  # the simulated SaaS vendor whose customers these are

FIRST_NAMES = (
    "Ada", "Alex", "Amara", "Ana", "Andre", "Anika", "Ben", "Bianca", "Carlos", "Chen",
    "Chloe", "Daniel", "Diego", "Elena", "Emeka", "Emma", "Farah", "Felix", "Grace", "Hana",
    "Hugo", "Ines", "Isaac", "Jade", "James", "Jin", "Jonas", "Julia", "Kai", "Karim",
    "Lara", "Leo", "Lina", "Lucas", "Maya", "Mateo", "Mei", "Mia", "Nadia", "Noah",
    "Nora", "Omar", "Olivia", "Pablo", "Priya", "Rafael", "Rosa", "Ruth", "Sam", "Sara",
    "Sofia", "Tariq", "Theo", "Tomas", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Adams", "Ahmed", "Alvarez", "Baker", "Bauer", "Becker", "Brown", "Campbell", "Chen",
    "Costa", "Das", "Dubois", "Edwards", "Fischer", "Garcia", "Gupta", "Hansen", "Harris",
    "Ito", "Jansen", "Johnson", "Kim", "Kowalski", "Larsen", "Lee", "Lopez", "Martin",
    "Meyer", "Moreau", "Murphy", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel",
    "Perez", "Petrov", "Ricci", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith",
    "Suzuki", "Tanaka", "Taylor", "Torres", "Walker", "Wang", "Weber", "Williams", "Wong",
    "Yamamoto", "Young", "Zhang", "Ziegler", "Okoro", "Haddad",
)  # fmt: skip

NAME_PREFIXES = (
    "Blue", "Bright", "Cedar", "Clear", "Copper", "Crest", "Deep", "East", "Ever", "Fair",
    "Fern", "Fox", "Gold", "Granite", "Green", "Harbor", "High", "Iron", "Lake", "Light",
    "Maple", "Mill", "North", "Oak", "Open", "Pine", "Quick", "Red", "River", "Rock",
    "Sage", "Silver", "Sky", "Snow", "South", "Star", "Stone", "Sun", "True", "West",
)  # fmt: skip

NAME_CORES = (
    "bay", "bridge", "brook", "crest", "dale", "field", "forge", "gate", "grove", "haven",
    "hill", "hurst", "leaf", "line", "mark", "mont", "path", "peak", "point", "port",
    "ridge", "rock", "shore", "side", "spring", "stone", "vale", "view", "wave", "well",
    "wind", "wood", "works", "yard", "ward", "ford", "fall", "light", "mere", "wick",
)  # fmt: skip

LEGAL_FORMS = ("Inc.", "LLC", "Ltd", "GmbH", "Group", "Co.", "AG", "S.A.")

# industry -> nouns that read well after a company name in that industry
INDUSTRIES: dict[str, tuple[str, ...]] = {
    "Software": ("Software", "Labs", "Systems", "Digital"),
    "Financial Services": ("Capital", "Finance", "Payments", "Advisors"),
    "Healthcare": ("Health", "Clinics", "Care", "Medical"),
    "Manufacturing": ("Industries", "Manufacturing", "Components", "Machines"),
    "Retail": ("Retail", "Stores", "Goods", "Outfitters"),
    "Education": ("Learning", "Academy", "Education", "Institute"),
    "Logistics": ("Logistics", "Freight", "Transport", "Shipping"),
    "Media": ("Media", "Studios", "Publishing", "Broadcasting"),
    "Professional Services": ("Consulting", "Partners", "Advisory", "Associates"),
    "Energy": ("Energy", "Power", "Renewables", "Utilities"),
    "Telecommunications": ("Telecom", "Networks", "Communications", "Connect"),
    "Hospitality": ("Hotels", "Hospitality", "Resorts", "Dining"),
}

SUBSIDIARY_SUFFIXES = ("Europe", "Asia Pacific", "Canada", "UK", "Nordics", "Labs", "Services")

REGIONS = ("North America", "EMEA", "APAC", "LATAM")
REGION_SHARES = (0.5, 0.3, 0.13, 0.07)
# hours to add to local time to get UTC (working hours shift with the customer's region)
REGION_UTC_SHIFT_HOURS = (6, -1, -8, 4)
# a contact's IANA time zone by their account's region (the outbox's quiet hours)
REGION_TIMEZONES = ("America/Chicago", "Europe/Paris", "Asia/Singapore", "America/Sao_Paulo")

TITLES: dict[str, tuple[str, ...]] = {
    "champion": ("Head of Operations", "Analytics Lead", "Operations Manager", "BI Manager"),
    "executive_sponsor": ("VP Operations", "Chief Operating Officer", "CFO", "VP Finance"),
    "admin": ("Systems Administrator", "IT Manager", "Platform Admin", "RevOps Specialist"),
    "user": ("Analyst", "Operations Analyst", "Team Lead", "Coordinator", "Specialist"),
}
