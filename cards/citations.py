"""Sources the cards cite, so a clinician can judge every piece of advice independently."""

from __future__ import annotations

from .model import Citation

PDDI_MAGNESIUM_LOINC = Citation(
    "HL7 PDDI IG: magnesium LOINC value set", "https://hl7.org/fhir/uv/pddi/en/ValueSet-valueset-magnesium-LOINC.html"
)
STATPEARLS_HYPOMAGNESEMIA = Citation("StatPearls: Hypomagnesemia", "https://statpearls.com/point-of-care/23271")
STATPEARLS_HYPOKALEMIA = Citation(
    "StatPearls: Hypokalemia (NBK482465)", "https://www.ncbi.nlm.nih.gov/books/NBK482465/"
)
STATPEARLS_HYPONATREMIA = Citation("StatPearls: Hyponatremia", "https://statpearls.com/point-of-care/23274")
HYPONATRAEMIA_GUIDELINE = Citation(
    "European clinical practice guideline on hyponatraemia (PMC5404708)",
    "https://pmc.ncbi.nlm.nih.gov/articles/PMC5404708/",
)
KIDNEY360_ODS = Citation(
    "Osmotic demyelination and sodium correction, Kidney360 2021 (PMC8786124)",
    "https://pmc.ncbi.nlm.nih.gov/articles/PMC8786124",
)
# Read for the calcium severity band (see cards/knowledge/thresholds.yaml).
SFE_HYPOCALCAEMIA = Citation(
    "Society for Endocrinology emergency guidance: acute hypocalcaemia in adults (2016)",
    "https://ec.bioscientifica.com/view/journals/ec/5/5/G7.xml",
)
PAYNE_1973_ADJUSTED_CALCIUM = Citation(
    "Payne RB et al. Interpretation of serum calcium in patients with abnormal serum proteins. BMJ 1973;4:643-6",
    "https://doi.org/10.1136/bmj.4.5893.643",
)
AAN_2016_BOTULINUM = Citation(
    "AAN 2016 guideline update: botulinum neurotoxin for blepharospasm and other movement disorders",
    "https://doi.org/10.1212/WNL.0000000000002560",
)
AAN_2019_TICS = Citation(
    "AAN 2019 practice guideline: treatment of tics in people with Tourette syndrome and chronic tic disorders "
    "(Pringsheim et al., Neurology 2019;92:896-906)",
    "https://doi.org/10.1212/WNL.0000000000007466",
)
AAN_2008_BOTULINUM = Citation(
    "AAN 2008 assessment: botulinum neurotoxin for movement disorders (PMID 18458230)",
    "https://pubmed.ncbi.nlm.nih.gov/18458230/",
)
NICE_NG217_EPILEPSY = Citation(
    "NICE NG217: Epilepsies in children, young people and adults", "https://www.nice.org.uk/guidance/ng217"
)
NICE_NG220_MS = Citation(
    "NICE NG220: Multiple sclerosis in adults: management", "https://www.nice.org.uk/guidance/ng220"
)
JACOBS_1994_MYOKYMIA_MS = Citation(
    "Jacobs et al. Continuous facial myokymia in multiple sclerosis. Arch Neurol 1994",
    "https://doi.org/10.1001/archneur.1994.00540230053012",
)
# Duodecim EBM Guidelines is subscription content without a stable public article URL; the publisher's site is cited.
DUODECIM_MYOKYMIA = Citation(
    "Duodecim EBM Guidelines: Eyelid myokymia (subscription)", "https://www.ebm-guidelines.com/"
)
# The US national poison-centre line (HRSA).
POISON_HELP = Citation("Poison Help line 1-800-222-1222 (HRSA)", "https://poisonhelp.hrsa.gov/")
# openFDA's drug-label entry point: the labels cited are found there by product name.
OPENFDA_LABELS = Citation(
    "openFDA drug labels (boxed warnings, contraindications)", "https://open.fda.gov/apis/drug/label/"
)
MHRA_VALPROATE_MEN = Citation(
    "MHRA Drug Safety Update (September 2024): valproate use in men - effective contraception as a precaution",
    "https://www.gov.uk/drug-safety-update/valproate-use-in-men-as-a-precaution-men-and-their-partners-should-use-"
    "effective-contraception",
)
MHRA_VALPROATE_MEN_2025 = Citation(
    "MHRA (February 2025): update on two-specialist review requirements for male patients already taking valproate",
    "https://www.gov.uk/government/news/update-on-2-specialist-review-requirements-for-male-patients-already-taking-"
    "valproate",
)
