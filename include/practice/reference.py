"""Reference data the synthetic practice draws from: small embedded lists, no Faker.

Every ICD-10-CM code in the billable pools is a leaf of the code set (checked by a test
against simple_icd_10_cm); NON_BILLABLE_CODES are category/header codes that a claim may
not carry. Amounts are the practice's charges (its chargemaster), not what payers allow.
"""

from __future__ import annotations

from decimal import Decimal

# --- people and places -------------------------------------------------------------------

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
    "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
    "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
    "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
    "O'Brien", "Kowalski", "Schmidt", "Novak", "Yoder", "Hoffman", "Becker", "Schultz", "Weber", "Fischer",
)

MALE_FIRST_NAMES = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Charles",
    "Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
    "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
    "Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
    "Benjamin", "Samuel", "Gregory", "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry",
    "Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry", "Zachary", "Douglas", "Peter", "Kyle",
    "Noah", "Ethan", "Jeremy", "Walter", "Christian", "Keith", "Roger", "Terry", "Austin", "Sean",
    "Liam", "Mason", "Elijah", "Lucas", "Logan", "Owen", "Caleb", "Wyatt", "Luis", "Carlos",
)

FEMALE_FIRST_NAMES = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
    "Lisa", "Nancy", "Betty", "Sandra", "Margaret", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
    "Carol", "Amanda", "Melissa", "Deborah", "Stephanie", "Dorothy", "Rebecca", "Sharon", "Laura", "Cynthia",
    "Amy", "Kathleen", "Angela", "Shirley", "Brenda", "Emma", "Anna", "Pamela", "Nicole", "Samantha",
    "Katherine", "Christine", "Helen", "Debra", "Rachel", "Carolyn", "Janet", "Maria", "Catherine", "Heather",
    "Diane", "Olivia", "Julie", "Joyce", "Victoria", "Ruth", "Virginia", "Lauren", "Kelly", "Christina",
    "Joan", "Evelyn", "Judith", "Andrea", "Hannah", "Megan", "Cheryl", "Jacqueline", "Martha", "Madison",
    "Sophia", "Ava", "Isabella", "Mia", "Charlotte", "Amelia", "Harper", "Abigail", "Ella", "Grace",
)

STREET_NAMES = (
    "Main", "Oak", "Maple", "Cedar", "Elm", "Pine", "Walnut", "High", "Broad", "Park", "Lake", "Hill",
    "Church", "Washington", "Lincoln", "Jefferson", "Franklin", "Sunbury", "Cleveland", "Morse", "Karl",
    "Hamilton", "Schrock", "Polaris", "Worthington", "Riverside", "Olentangy", "Scioto", "Hayden", "Sawmill",
    "Cemetery", "Alum Creek", "Big Walnut", "Africa", "Refugee", "Livingston", "Granville", "Dublin Granville",
)
STREET_SUFFIXES = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Blvd", "Way", "Pl", "Pkwy")

# central Ohio: (city, ZIP5 choices); ZIP+4 is drawn, the 2010AA loop wants 9 digits
CITIES = (
    ("Columbus", ("43201", "43202", "43204", "43206", "43209", "43211", "43214", "43215", "43220", "43224",
                  "43229", "43232")),
    ("Westerville", ("43081", "43082")),
    ("Dublin", ("43016", "43017")),
    ("Worthington", ("43085",)),
    ("Hilliard", ("43026",)),
    ("Grove City", ("43123",)),
    ("Gahanna", ("43230",)),
    ("Reynoldsburg", ("43068",)),
    ("Upper Arlington", ("43221",)),
    ("Delaware", ("43015",)),
    ("Pickerington", ("43147",)),
    ("Lancaster", ("43130",)),
    ("Newark", ("43055",)),
    ("Marysville", ("43040",)),
    ("Powell", ("43065",)),
    ("Canal Winchester", ("43110",)),
    ("Groveport", ("43125",)),
)
HOME_STATE = "OH"
ACCIDENT_STATES = ("OH", "OH", "OH", "OH", "OH", "OH", "IN", "KY", "PA", "MI", "WV")

# --- organisations -----------------------------------------------------------------------

# (organization_name, taxonomy, address1, city, zip9, phone, contact)
BILLING_PROVIDERS = (
    ("Riverbend Family Medicine Associates Inc", "207Q00000X", "4500 Riverbend Medical Pkwy", "Columbus",
     "432141234", "6145550100", "Billing Office"),
    ("Riverbend Physical Therapy LLC", "225100000X", "4520 Riverbend Medical Pkwy", "Columbus",
     "432141236", "6145550180", "Therapy Billing"),
)
BILLING_PROVIDER_EINS = ("314785520", "824417093")

# (name, address1, city, zip9, place of service)
FACILITIES = (
    ("Riverbend Family Medicine - Westerville", "125 Polaris Pkwy Ste 200", "Westerville", "430817731", "11"),
    ("Scioto Valley Hospital Outpatient Center", "3535 Olentangy River Rd", "Columbus", "432141908", "22"),
    ("Scioto Valley Imaging and Diagnostics", "7450 Hospital Dr", "Dublin", "430167283", "19"),
)

# rendering providers: (role, taxonomy, count)
RENDERING_ROLES = (
    ("family", "207Q00000X", 6),
    ("internal", "207R00000X", 3),
    ("pediatrics", "208000000X", 2),
    ("np", "363LF0000X", 2),
    ("pa", "363A00000X", 1),
    ("sports", "207QS0010X", 1),
    ("pt", "225100000X", 2),
)
REFERRING_TAXONOMIES = ("207X00000X", "207RC0000X", "2084N0400X", "207Q00000X")
INVALID_NPI_PROVIDERS = 2

# (name, payer_identifier, claim_filing_indicator, timely_filing_days, kind, address1, city, state, zip9)
PAYERS = (
    ("Medicare Part B", "MCR01", "MB", 365, "medicare", "PO Box 20018", "Nashville", "TN", "372020018"),
    ("Ohio Medicaid", "MCD01", "MC", 180, "medicaid", "PO Box 1461", "Columbus", "OH", "432161461"),
    ("Aetna", "AETNA", "CI", 120, "commercial", "PO Box 981106", "El Paso", "TX", "799981106"),
    ("Anthem Blue Cross and Blue Shield", "BCBS01", "BL", 90, "commercial", "PO Box 105187", "Atlanta",
     "GA", "303485187"),
    ("UnitedHealthcare", "UHC01", "CI", 90, "commercial", "PO Box 30555", "Salt Lake City", "UT", "841300555"),
    ("Cigna", "CIGNA", "CI", 90, "commercial", "PO Box 188061", "Chattanooga", "TN", "374228061"),
    ("Buckeye Choice HMO", "BCHMO", "HM", 180, "commercial", "PO Box 6200", "Farmington", "MO", "636406200"),
    ("Self-pay", None, "ZZ", 365, "self", None, None, None, None),
)
COMMERCIAL_IDS = ("AETNA", "BCBS01", "UHC01", "CIGNA", "BCHMO")
MEDIGAP_IDS = ("AETNA", "UHC01", "CIGNA")

# --- codes ---------------------------------------------------------------------------------

FEE_SCHEDULE: tuple[tuple[str, str, Decimal], ...] = tuple(
    (code, desc, Decimal(amount)) for code, desc, amount in (
        ("99202", "Office visit, new patient, straightforward MDM", "125.00"),
        ("99203", "Office visit, new patient, low MDM", "185.00"),
        ("99204", "Office visit, new patient, moderate MDM", "280.00"),
        ("99205", "Office visit, new patient, high MDM", "365.00"),
        ("99211", "Office visit, established patient, minimal", "45.00"),
        ("99212", "Office visit, established patient, straightforward MDM", "95.00"),
        ("99213", "Office visit, established patient, low MDM", "140.00"),
        ("99214", "Office visit, established patient, moderate MDM", "205.00"),
        ("99215", "Office visit, established patient, high MDM", "285.00"),
        ("99381", "Initial preventive visit, infant", "210.00"),
        ("99382", "Initial preventive visit, age 1-4", "220.00"),
        ("99383", "Initial preventive visit, age 5-11", "230.00"),
        ("99384", "Initial preventive visit, age 12-17", "250.00"),
        ("99385", "Initial preventive visit, age 18-39", "250.00"),
        ("99386", "Initial preventive visit, age 40-64", "285.00"),
        ("99387", "Initial preventive visit, age 65+", "310.00"),
        ("99391", "Periodic preventive visit, infant", "190.00"),
        ("99392", "Periodic preventive visit, age 1-4", "200.00"),
        ("99393", "Periodic preventive visit, age 5-11", "205.00"),
        ("99394", "Periodic preventive visit, age 12-17", "215.00"),
        ("99395", "Periodic preventive visit, age 18-39", "225.00"),
        ("99396", "Periodic preventive visit, age 40-64", "240.00"),
        ("99397", "Periodic preventive visit, age 65+", "260.00"),
        ("G0438", "Annual wellness visit, initial", "235.00"),
        ("G0439", "Annual wellness visit, subsequent", "175.00"),
        ("36415", "Routine venipuncture", "15.00"),
        ("80053", "Comprehensive metabolic panel", "45.00"),
        ("80061", "Lipid panel", "40.00"),
        ("83036", "Hemoglobin A1c", "35.00"),
        ("85025", "Complete blood count with automated differential", "30.00"),
        ("81002", "Urinalysis, non-automated, without microscopy", "12.00"),
        ("87880", "Rapid strep test (group A streptococcus antigen)", "25.00"),
        ("93000", "Electrocardiogram, 12 leads, with interpretation and report", "65.00"),
        ("71046", "Radiologic exam, chest, 2 views", "95.00"),
        ("90471", "Immunization administration, first vaccine", "30.00"),
        ("G0008", "Administration of influenza virus vaccine (Medicare)", "30.00"),
        ("90686", "Influenza vaccine, quadrivalent, preservative free, 0.5 mL, IM", "45.00"),
        ("96372", "Therapeutic injection, subcutaneous or intramuscular", "40.00"),
        ("J1100", "Injection, dexamethasone sodium phosphate, 1 mg", "3.00"),
        ("J3301", "Injection, triamcinolone acetonide, not otherwise specified, 10 mg", "8.00"),
        ("20610", "Arthrocentesis, aspiration and/or injection, major joint, without ultrasound", "165.00"),
        ("11102", "Tangential biopsy of skin, single lesion", "155.00"),
        ("97110", "Therapeutic exercises, each 15 minutes", "55.00"),
        ("97140", "Manual therapy techniques, each 15 minutes", "50.00"),
    )
)
FEES: dict[str, Decimal] = {code: amount for code, _, amount in FEE_SCHEDULE}

# billable ICD-10-CM (leaf codes, no dots)
DX_ACUTE_ADULT = (
    "J069", "J029", "J0190", "J209", "J189", "B349", "N390", "R051", "R0602", "R079", "R5383", "R42",
    "R109", "K5900", "R197", "L723", "L309", "H6691", "R519", "R112", "R21",
)
DX_ACUTE_CHILD = ("J069", "J029", "H6691", "H6692", "J209", "B349", "R509", "R197", "R21", "R051", "L309")
DX_CHRONIC = (
    "I10", "E119", "E1165", "E1140", "E785", "E039", "J45909", "J449", "K219", "F419", "F329", "G4733",
    "I2510", "I4891", "I509", "R7303", "E669", "E559", "M1990", "G43909", "M797", "D649",
)
DX_CHRONIC_CHILD = ("J45909", "F909", "E669", "L309")
# codes that should not be the first-listed diagnosis: only ever appended after a primary one
DX_SECONDARY_ONLY = ("Z79899", "Z6830", "N189", "Z87891", "V4352XA")
DX_BACK = ("M5450", "M5459", "M546", "M5416", "M6281", "M62838", "S39012A")
DX_PT = ("M5450", "M5459", "M6281", "M25561", "M25562", "M25511", "M25512", "S8390XA", "S93401A", "M1711",
         "M1712")
# joint injection: (diagnosis, side modifier)
DX_JOINT = (("M1711", "RT"), ("M1712", "LT"), ("M7541", "RT"), ("M7542", "LT"), ("M25511", "RT"),
            ("M25512", "LT"), ("M25561", "RT"), ("M25562", "LT"))
DX_SKIN_LESION = ("D485", "L821", "L723")
DX_ADULT_EXAM = ("Z0000", "Z0001")
DX_CHILD_EXAM = ("Z00129", "Z00121")
DX_SCREENING = ("Z1331", "Z136", "Z1211", "Z713")
DX_IMMUNIZATION = "Z23"
DX_ACCIDENT = ("S134XXA", "S161XXA", "S233XXA")
DX_EXTERNAL_CAUSE = "V4352XA"

# category/header codes: valid ICD-10-CM items but not billable (not leaves)
NON_BILLABLE_CODES = ("E11", "M545", "R10", "E78", "I25", "J45", "K21", "E66", "F32", "M25", "M791")

ALL_BILLABLE_DX = tuple(sorted(set(
    DX_ACUTE_ADULT + DX_ACUTE_CHILD + DX_CHRONIC + DX_CHRONIC_CHILD + DX_SECONDARY_ONLY + DX_BACK + DX_PT
    + tuple(code for code, _ in DX_JOINT) + DX_SKIN_LESION + DX_ADULT_EXAM + DX_CHILD_EXAM + DX_SCREENING
    + (DX_IMMUNIZATION,) + DX_ACCIDENT + (DX_EXTERNAL_CAUSE,)
)))
