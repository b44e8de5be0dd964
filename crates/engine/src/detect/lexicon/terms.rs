//! The topic lexicon: terms in English, German, French, Spanish and Dutch, each with the
//! category and subtopic it signals and how strongly.
//!
//! Written from how sellers, buyers and contracts talk, never from evaluation data.
//! Conventions: lowercase patterns match any ASCII case; a pattern written in capitals
//! (`SLA`, `API`) matches only in capitals so that `api` inside prose or `avg` (average)
//! do not fire; a leading `=` also asks for the exact case (`=Territory`, a contract's defined
//! term, but not "territory" in prose); a trailing `*` makes a stem (`indemnif*` matches
//! indemnify, indemnification).

use crate::finding::Category::{self, *};

/// Fires alone.
pub const S: f32 = 1.0;
/// Fires with a figure, a claim or another term of the same category.
pub const M: f32 = 0.6;
/// Fires only together with stronger evidence.
pub const W: f32 = 0.35;

/// What a matched term means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cue {
    /// A topic term: category, subtopic, weight.
    Topic(Category, &'static str, f32),
    /// A longer phrase that contains a topic word but is not the topic ("security badge").
    Neutral,
    /// The seller asserts something: "we are", "yes", "our platform".
    Claim,
    /// The seller hands the topic to a named human: "will get back to you".
    Handoff,
    /// The seller acknowledges without answering: "thanks for asking about".
    Acknowledge,
    /// Short assent to what the buyer asked: "works for us", "agreed".
    Assent,
    /// A modal of obligation ("shall", "agrees", "may not"): contract language when its
    /// subject is a named party ("Distributor shall", "ACME agrees").
    Obligation,
}

macro_rules! topic {
    ($cat:expr, $sub:literal, $w:expr; $($p:literal),+ $(,)?) => {
        &[$(($p, Cue::Topic($cat, $sub, $w))),+]
    };
}

macro_rules! cue {
    ($cue:expr; $($p:literal),+ $(,)?) => {
        &[$(($p, $cue)),+]
    };
}

type Group = &'static [(&'static str, Cue)];

/// Every group of terms; the automaton is built from all of them.
pub const GROUPS: &[Group] = &[
    // ---- objection: security ------------------------------------------------------------
    topic!(Objection, "security", S;
        "SOC 2", "SOC2", "SOC 1", "SOC 3", "ISO 27001", "ISO/IEC 27001", "ISO 27017", "ISO 27018",
        "penetration test*", "pen test*", "pentest*", "end-to-end encrypt*", "encrypted at rest",
        "encryption at rest", "encrypted in transit", "encryption in transit", "AES-256", "AES 256",
        "data breach*", "security incident*", "bug bounty", "security questionnaire*",
        "security review*", "security assessment*", "vulnerability scan*", "zero-knowledge",
        "zero knowledge", "PBKDF2", "Argon2", "bcrypt", "RSA-2048", "security audit*",
        "security whitepaper", "security white paper", "threat model*", "CAIQ", "HECVAT",
        "SIG Lite", "vendor security", "infosec review", "Sicherheitsaudit", "Penetrationstest*",
        "Ende-zu-Ende-Verschlüssel*", "audit de sécurité", "test d'intrusion", "tests d'intrusion",
        "chiffrement de bout en bout", "cifrado de extremo a extremo", "prueba de penetración",
        "pruebas de penetración", "end-to-end versleutel*", "beveiligingsaudit"),
    topic!(Objection, "security", M;
        "encrypt*", "encryption", "decrypt*", "cryptograph*", "TLS", "SSL", "HTTPS", "MFA",
        "2FA", "two-factor", "two factor", "two-step login", "multi-factor", "multifactor",
        "single sign-on", "SSO", "SAML", "access control*", "role-based access", "RBAC", "role-based",
        "granular permissions", "locked down", "admin controls",
        "least privilege", "audit log*", "event log*", "vulnerabilit*", "malware", "firewall*",
        "intrusion", "malicious", "compromised", "tamper*", "HSTS", "plaintext", "plain text",
        "sensitive data", "biometric*", "VPN", "PCI", "open source", "open-source", "hashed", "hashing", "hash function", "salted", "master password",
        "key management", "KMS", "HSM", "zero trust", "secure enclave", "security team",
        "security posture", "security controls", "security program", "secrets manager",
        "password manager", "vault", "vaults", "breach notification", "incident response",
        "security patch*", "patched", "Verschlüssel*", "verschlüsselt", "Datensicherheit",
        "Zugriffskontrolle*", "Sicherheitslücke*", "chiffrement", "chiffré*", "sécurisé*",
        "cifrado", "cifrad*", "encriptad*", "seguridad de los datos", "versleutel*",
        "beveiliging", "beveiligd*", "toegangsbeheer"),
    topic!(Objection, "security", W;
        "security", "secure", "securely", "protected", "protect", "attack*", "hacker*",
        "authenticat*", "password*", "credential*", "permission*", "access to", "integrity",
        "attacker*", "certificate*", "source code", "codebase", "protective", "Sicherheit", "sicher",
        "sécurité", "seguridad", "seguro", "veiligheid", "veilig"),
    // ---- objection: compliance ----------------------------------------------------------
    topic!(Objection, "compliance", S;
        "GDPR", "CCPA", "CPRA", "HIPAA", "FedRAMP", "PCI DSS", "PCI-DSS", "DSGVO", "RGPD",
        "LGPD", "PIPEDA", "train our models on", "train our AI models on", "train on your data",
        "train on customer data", "trained on your data", "trained on customer data", "used to train",
        "used for training", "deleted within", "Data Privacy Framework", "DPF", "PCI-Compliant", "PCI compliant", "data processing agreement", "data processing addendum",
        "data protection agreement", "data protection addendum", "DPA", "subprocessor*",
        "sub-processor*", "data subject*", "data protection officer", "business associate agreement",
        "BAA", "HITRUST", "NIST 800-53", "CSA STAR", "TISAX", "C5", "Auftragsverarbeitung*",
        "AVV", "sous-traitant ultérieur", "sous-traitants ultérieurs", "subencargado*",
        "verwerkersovereenkomst", "subverwerker*"),
    topic!(Objection, "compliance", M;
        "compliance", "compliant", "certified", "certification*",
        "attestation*", "audit report*", "third-party audit*", "independent audit*", "personal data",
        "personal information", "personally identifiable", "PII", "PHI", "data protection",
        "privacy policy", "privacy statement", "privacy shield", "data retention", "retention period*",
        "retained for", "data deletion", "model training",
        "retain your data", "delete your data", "deletion request*", "right to erasure",
        "right to be forgotten", "data controller", "data processor", "Datenschutz", "personenbezogene Daten", "zertifiziert", "Zertifizierung*",
        "protection des données", "données personnelles", "données à caractère personnel",
        "conformité", "certifié*", "protección de datos", "datos personales", "cumplimiento",
        "certificad*", "gegevensbescherming", "persoonsgegevens", "gecertificeerd*", "naleving"),
    topic!(Objection, "compliance", W;
        "privacy", "regulation*", "regulator*", "regulatory", "audit", "audits", "audited", "Datenschutzerklärung",
        "confidentialité", "privacidad", "privacy-"),
    // ---- objection: data residency ------------------------------------------------------
    topic!(Objection, "data_residency", S;
        "data residency", "data sovereignty", "data localization", "data localisation",
        "data location", "cross-border transfer*", "international transfer*", "transfers of personal data",
        "standard contractual clauses", "SCCs", "Schrems", "EU data boundary", "hosted in the EU",
        "hosted in the US", "hosted in Germany", "stored in the EU", "stored in the US",
        "stays in the EU", "stay in the EU", "data never leaves", "never leaves the", "EU-only", "Datenresidenz", "Serverstandort",
        "Datenstandort", "in Deutschland gehostet", "résidence des données", "localisation des données",
        "hébergé en France", "hébergées en Europe", "residencia de datos", "alojados en la UE",
        "dataresidentie", "gehost in Nederland", "gehost in de EU"),
    topic!(Objection, "data_residency", M;
        "data center*", "datacenter*", "data centre*", "hosted in", "hosted on", "geographic location*", "hosting region*", "stored in",
        "data region*", "EU region", "US region", "in the EU", "leaves the EU", "leave the EU", "region of your choice", "in-region",
        "Rechenzentr*", "gehostet", "centre de données", "centres de données", "hébergé*",
        "hébergement", "centro de datos", "centros de datos", "alojad*", "alojamiento",
        "gehost", "rekencentr*"),
    // ---- objection: integration ---------------------------------------------------------
    topic!(Objection, "integration", S;
        "native integration*", "REST API", "public API", "API access", "API key*", "API endpoint*",
        "SCIM", "directory sync*", "Directory Connector", "Key Connector", "bidirectional sync*",
        "two-way sync*", "integrates with", "integrate with", "integration with", "integrations with",
        "Schnittstelle*", "API-Anbindung", "intégration avec", "s'intègre", "integración con",
        "se integra", "integratie met", "koppeling met"),
    topic!(Objection, "integration", M;
        "integrat*", "API", "APIs", "webhook*", "SDK", "connector*", "LDAP", "Active Directory",
        "Azure AD", "Entra ID", "Okta", "OneLogin", "OAuth", "OpenID", "OIDC", "CLI",
        "command line", "import your", "export your", "data export", "data import", "plugin*",
        "plug-in*", "add-on*", "compatib*", "interoperab*", "middleware", "ETL", "Zapier",
        "Anbindung", "Integration", "intégration", "integración", "integratie", "koppeling*"),
    topic!(Objection, "data_residency", W; "transfer", "transfers", "transferred", "jurisdictions", "locations"),
    topic!(Objection, "integration", W; "sync", "syncing", "synchroniz*", "import*", "export*"),
    // ---- objection: SLA -----------------------------------------------------------------
    topic!(Objection, "sla", S;
        "SLA", "SLAs", "service level*", "uptime", "service credit*", "RTO", "RPO",
        "recovery time objective", "recovery point objective", "99.9%", "99.95%", "99.99%",
        "99.5%", "Verfügbarkeitsgarantie", "niveau de service", "accord de niveau", "nivel de servicio",
        "acuerdo de nivel", "serviceniveau*"),
    topic!(Objection, "sla", M;
        "availability", "downtime", "outage*", "response time*", "resolution time*", "24/7", "24x7",
        "support hours", "business hours support", "technical support", "standard support",
        "support request*", "hours per day", "days per week", "supported version*", "end of life",
        "end-of-life", "release support", "support plan*", "premium support", "priority support",
        "disaster recovery", "business continuity", "backed up", "backups", "backup", "failover", "redundan*", "maintenance window*",
        "scheduled maintenance", "incident notification", "Verfügbarkeit", "Ausfallzeit*",
        "Reaktionszeit*", "disponibilité", "temps d'arrêt", "délai de réponse", "disponibilidad",
        "tiempo de inactividad", "tiempo de respuesta", "beschikbaarheid", "responstijd*",
        "storing*"),
    // ---- objection: implementation ------------------------------------------------------
    topic!(Objection, "implementation", S;
        "implementation plan", "implementation timeline", "implementation risk*", "go-live date",
        "live within", "get you live", "have you live", "have your team live", "up and running within",
        "migrate your data", "migration service*",
        "time to value", "cutover", "implementation fee*", "Implementierungsplan",
        "plan de mise en œuvre", "plan de implementación", "implementatieplan"),
    topic!(Objection, "implementation", M;
        "implementation", "implement", "go-live", "go live", "rollout", "roll-out", "roll out",
        "migration", "migrat*", "up and running", "deployment", "deploy", "on-premise*", "on-prem", "self-host*",
        "professional services", "implementation partner", "ramp-up", "Implementierung", "implémentation", "mise en production",
        "Einführung", "Migration", "mise en œuvre", "mise en place", "déploiement",
        "implementación", "implantación", "despliegue", "migración", "implementatie", "uitrol"),
    topic!(Objection, "implementation", W; "onboarding", "timeline", "training", "setup", "set up"),
    // ---- commercial: pricing ------------------------------------------------------------
    topic!(Commercial, "pricing", S;
        "list price", "price increase*", "price protection", "price cap", "price lock",
        "pricing tier*", "per seat", "per user", "per license", "per licence", "per month",
        "per year", "per annum", "license fee*", "licence fee*", "subscription fee*",
        "annual fee*", "monthly fee*", "most favored", "most favoured", "most-favored",
        "MFN", "revenue shar*", "price list", "rate card", "pricing proposal", "price quote",
        "renewal rate", "same rate", "rate lock", "price hold", "the quote", "your quote", "our quote", "attached quote", "updated quote", "revised quote",
        "Preiserhöhung", "Listenpreis", "pro Nutzer", "pro Monat", "augmentation de prix",
        "prix catalogue", "par utilisateur", "par mois", "aumento de precio", "precio de lista",
        "por usuario", "al mes", "prijsverhoging", "per gebruiker", "per maand"),
    topic!(Commercial, "pricing", M;
        "price*", "pricing", "quote", "quotes", "quotation*", "fee", "fees", "cost", "costs",
        "charge*", "billing", "billed", "subscription*", "plan pricing", "premium plan",
        "enterprise plan", "teams plan", "business plan", "free plan", "paid plan*", "upgrade*",
        "seats", "licenses", "licences", "Preis*", "Kosten", "Gebühr*", "Angebot",
        "Abonnement", "prix", "tarif*", "coût*", "devis", "frais", "abonnement", "precio*",
        "tarifa*", "coste*", "costo*", "cotización", "presupuesto", "suscripción", "prijs*",
        "kosten", "tarief", "offerte", "abonnement"),
    topic!(Commercial, "pricing", W;
        "plan", "plans", "paid", "pay", "purchase*", "buy", "cheaper", "expensive", "free", "budget*"),
    topic!(Commercial, "pricing", M; "for free", "100% free", "free trial", "free tier", "free version", "free forever",
        "essai gratuit", "période d'essai", "prueba gratuita", "kostenlose Testphase", "Testphase",
        "proefperiode"),
    // ---- commercial: discount -----------------------------------------------------------
    topic!(Commercial, "discount", S;
        "discount*", "% off", "percent off", "off the first year", "off the first", "off the annual",
        "off the total", "off list", "off the list price", "knock off", "knock it down", "rebate*", "price match*", "reduced price",
        "lower price", "special price", "special pricing", "promo code", "promotional pricing",
        "Rabatt*", "Nachlass", "Preisnachlass", "Skonto", "remise*", "réduction*", "rabais",
        "descuento*", "rebaja*", "korting*"),
    topic!(Commercial, "discount", W; "deal"),
    topic!(Commercial, "discount", M; "knock"),
    topic!(Commercial, "discount", M; "promo*", "special offer", "best price", "competitor's offer",
        "competitors' offer", "competitive offer", "match the offer", "match their offer", "match any offer",
        "go lower", "better price", "sonderpreis"),
    // ---- commercial: fee waiver ---------------------------------------------------------
    topic!(Commercial, "fee_waiver", S;
        "waive the fee", "waive the setup", "waive the implementation", "waive the onboarding",
        "waived fee*", "fee waiver", "waive your", "waiving the", "no setup fee", "no set-up fee",
        "no implementation fee", "at no extra cost", "at no additional cost", "at no extra charge",
        "at no additional charge", "at no cost", "at no extra fee", "free of charge", "on the house",
        "throw in", "throw it in", "cover the first", "months free", "months on us", "month on us",
        "prolonger l'essai", "Testphase verlängern", "ampliar la prueba", "proefperiode verlengen", "extend the trial",
        "extend your trial", "trial extension", "extra month free", "first month free",
        "kwijtschelden", "erlassen", "renoncer aux frais", "exonerar", "kostenlos dazu",
        "ohne Aufpreis", "gratuitement", "sans frais", "sin coste", "sin costo", "gratis",
        "kosteloos"),
    topic!(Commercial, "fee_waiver", M; "waive", "waived", "complimentary", "free months", "free month"),
    // ---- commercial: payment terms ------------------------------------------------------
    topic!(Commercial, "payment_terms", S;
        "net 15", "net 30", "net 45", "net 60", "net 90", "net 120", "net-30", "net-60",
        "payment terms", "payment term", "payment schedule", "payment plan", "due upon receipt",
        "due on receipt", "late fee*", "late payment*", "paid in advance", "payable in advance",
        "annual upfront", "paid annually", "paid quarterly", "paid monthly", "billed annually",
        "billed quarterly", "billed monthly", "installment*", "instalment*", "Zahlungsziel",
        "Zahlungsbedingungen", "Zahlungsfrist", "conditions de paiement", "délai de paiement",
        "modalités de paiement", "condiciones de pago", "plazo de pago", "forma de pago",
        "betalingstermijn", "betalingsvoorwaarden"),
    topic!(Commercial, "payment_terms", M;
        "invoice*", "invoicing", "payable", "payment*", "upfront", "up-front", "prepay*",
        "pre-pay*", "wire transfer", "Rechnung*", "Zahlung*", "facture*", "paiement*",
        "factura*", "pago*", "factuur", "facturen", "betaling*"),
    // ---- commercial: contract terms -----------------------------------------------------
    topic!(Commercial, "contract_terms", S;
        "this agreement", "this contract", "the agreement", "master services agreement",
        "master subscription agreement", "master agreement", "MSA", "order form", "SOW",
        "statement of work", "DocuSign", "auto-renew*", "automatically renew*", "renewal term*",
        "initial term", "notice period", "prior written notice", "written notice",
        "terminate this", "termination for convenience", "terminate for convenience",
        "minimum purchase*", "minimum commitment", "minimum order", "volume commitment",
        "effective date", "negotiate in good faith", "year term",
        "year commitment", "multi-year", "multiyear", "service credit*", "licensee", "licensor", "sublicens*", "royalt*", "non-compete",
        "noncompet*", "non-solicit*", "change of control", "exclusivity", "exclusive right*",
        "right of first refusal", "audit right*", "right to audit", "the parties", "either party",
        "each party", "both parties", "the other party", "neither party",
        "hereunder", "hereof", "herein", "hereto", "hereby", "hereinafter", "thereof",
        "therein", "thereunder", "whereas", "Vertragslaufzeit", "Kündigungsfrist", "Mindestlaufzeit",
        "Rahmenvertrag", "durée du contrat", "préavis", "reconduction tacite", "contrat-cadre",
        "duración del contrato", "preaviso", "renovación automática", "contrato marco",
        "opzegtermijn", "looptijd", "stilzwijgende verlenging", "raamovereenkomst"),
    topic!(Commercial, "contract_terms", M;
        "contract*", "agreement", "agreements", "terminat*", "renew*", "renewal*", "term of",
        "exclusive*", "license", "licence", "licensed", "licensing", "franchis*", "distributor*",
        "reseller*", "supplier", "customer shall", "pursuant to",
        "notwithstanding", "provided that", "set forth", "in accordance with", "successors",
        "affiliate*", "NDA", "NDAs", "non-disclosure agreement", "amendment*", "covenant*", "obligation*",
        "term and termination", "signed", "sign the", "countersign*", "signature", "e-sign*",
        "Vertrag*", "Kündigung*", "Laufzeit", "AGB", "Lizenz*", "contrat*",
        "résiliation", "licence", "contrato*", "rescisión", "licencia*", "overeenkomst*",
        "opzegging", "licentie*"),
    topic!(Commercial, "contract_terms", W;
        "term", "terms", "assigns", "assignment", "assign", "obligat*", "entitled", "party", "parties", "clause*", "sign", "renew", "shall",
        "expir*", "agrees", "agree", "reasonabl*", "solely", "whether or not", "without limitation",
        "including, but not limited to", "mutually agreed", "subject to", "upon request",
        "a minimum of", "a maximum of", "allocat*", "shall be", "may not", "right to", "rights in",
        "title to", "ownership", "owned by", "solicit*", "competit*", "competitor*", "=Company",
        "=Customer", "=Products", "=Product", "=Services"),
    // Contract register: how agreements are written, whatever the clause is about.
    topic!(Commercial, "contract_terms", M;
        "shall not", "agrees to", "agrees not to", "agree not to", "undertakes", "undertake to",
        "written consent", "prior written", "prior consent", "written approval", "in writing",
        "sole cost", "sole expense", "own expense", "own cost", "sole discretion", "expressly",
        "the foregoing", "in the event that", "in no event", "during the term", "the term",
        "shall have the right", "shall be entitled", "shall have", "shall provide",
        "shall cause", "will have the right", "reserve the right", "reserves the right", "the right to",
        "right and license", "hereby grants", "grants to", "in good faith", "upon written request",
        "written request", "=Section", "=Article", "=Schedule", "=Exhibit", "shall remain", "shall be deemed", "is authorized",
        "not authorized", "trademark*", "escrow", "goodwill", "disparag*", "=Party", "=Parties",
        "=Territory", "=Term", "=Distributor", "=Licensee", "=Licensor", "=Franchisee",
        "=Franchisor", "=Supplier", "=Vendor", "=Reseller", "=Manufacturer", "=Agent",
        "=Consultant", "=Contractor", "=Licensed", "=Buyer", "=Seller", "=Purchaser"),
    // ---- commercial: redline ------------------------------------------------------------
    topic!(Commercial, "redline", S;
        "redline*", "red-line*", "red line", "your markup",
        "counterproposal*", "counter-proposal*", "non-standard terms", "non-standard language",
        "your edits to the", "your changes to the", "accept your changes", "accept your edits",
        "Änderungsvorschl*", "contre-proposition*", "contrapropuesta*", "tegenvoorstel*"),
    topic!(Commercial, "redline", M; "tracked changes", "track changes", "markup", "mark-up", "clause", "clauses", "wording", "language in section", "Klausel*", "clause", "cláusula*", "clausule*"),
    // ---- commercial: procurement --------------------------------------------------------
    topic!(Commercial, "procurement", S;
        "procurement", "purchase order*", "PO number", "vendor registration", "vendor onboarding",
        "vendor form*", "vendor setup", "supplier onboarding", "supplier portal", "supplier registration",
        "RFP", "RFQ", "RFI", "request for proposal", "W-9", "W9", "Beschaffung", "Bestellnummer",
        "Lieferantenanmeldung", "appel d'offres", "bon de commande", "service achats",
        "licitación", "orden de compra", "inkooporder", "aanbesteding", "inkoop"),
    topic!(Commercial, "procurement", M;
        "vendor", "vendors", "PO", "POs", "tender", "sourcing", "purchasing", "buying committee", "Einkauf",
        "achats", "compras", "leverancier*"),
    // ---- commercial: legal --------------------------------------------------------------
    topic!(Commercial, "legal", M; "liabilit*", "liable", "no liability", "any liability"),
    topic!(Commercial, "legal", S;
        "limited liability", "total liability", "liability exceed*", "liability will not exceed",
        "liability is limited", "liability under this", "cap on liability", "liability cap*", "aggregate liability",
        "liability shall", "shall be liable", "shall not be liable", "indemnif*", "indemnit*", "hold harmless", "governing law",
        "limitation of liability", "force majeure", "arbitrat*", "consequential damages",
        "punitive damages", "liquidated damages", "incidental damages", "warranty", "warranties",
        "warrants", "disclaim*", "intellectual property", "infring*",
        "injunctive", "covenant not to sue", "Haftung*", "haftet",
        "Gewährleistung", "Schadensersatz", "Gerichtsstand", "Freistellung", "responsabilité",
        "indemnisation", "dommages et intérêts", "droit applicable", "responsabilidad",
        "indemnización", "ley aplicable", "aansprakelijk*", "vrijwaring", "schadevergoeding",
        "toepasselijk recht"),
    topic!(Commercial, "legal", M;
        "jurisdiction", "damages", "breach", "breaches", "lawsuit*", "litigation", "dispute*", "court*",
        "confidential information", "confidentiality", "remed*", "claims", "legal counsel",
        "our lawyers", "your lawyers", "legal team", "legal review", "law", "laws", "statute*",
        "penalt*", "insurance", "insured", "Rechtsabteilung", "juridique", "jurídico", "juridisch*"),
    topic!(Commercial, "legal", W; "legal", "lawyer*", "attorney*", "claim"),
    // ---- commitment ---------------------------------------------------------------------
    topic!(Commitment, "guarantee", S;
        "we guarantee", "I guarantee", "guaranteed", "we can guarantee", "100% guaranteed",
        "money-back", "money back", "wir garantieren", "garantiert", "nous garantissons",
        "garanti", "garantizamos", "garantizado", "wij garanderen", "gegarandeerd"),
    topic!(Commitment, "deadline", S;
        "we will deliver by", "we'll deliver by", "will be delivered by", "will be live by",
        "you will be live", "we will be live", "up and running by",
        "wir liefern bis", "nous livrerons", "entregaremos"),
    topic!(Commitment, "waiver", S; "we can waive", "we will waive", "we'll waive", "I can waive", "happy to waive"),
    topic!(Commitment, "promise", S;
        "we promise", "I promise", "we commit to", "we are committed to delivering", "you have my word",
        "I can assure you", "we can assure you", "rest assured", "we will make sure",
        "wir versprechen", "nous promettons", "prometemos", "wij beloven"),
    // ---- pressure -----------------------------------------------------------------------
    topic!(Pressure, "urgency", S;
        "act now", "last chance", "final chance", "offer expires", "expires today", "expires tomorrow",
        "ends today", "ends tonight", "only today", "today only", "limited time", "limited-time",
        "before it's too late", "don't miss out", "do not miss out", "only a few spots",
        "only a few left", "price goes up", "prices go up", "sign today", "sign by end of day",
        "by end of day today", "need your signature today", "need an answer today", "final notice",
        "last reminder", "this is my last", "why haven't you", "why have you not", "you haven't responded",
        "you have not responded", "I've tried to reach you", "I have tried to reach you",
        "tried reaching you several", "nur heute", "letzte Chance", "dernière chance",
        "offre expire", "última oportunidad", "solo hoy", "laatste kans", "alleen vandaag"),
    // ---- cues ---------------------------------------------------------------------------
    cue!(Cue::Neutral;
        "security badge", "security desk", "security guard*", "security at reception",
        "security check-in", "social security", "Security Council", "job security", "security deposit",
        "securities", "national security", "homeland security", "financial security",
        "energy security", "price of gas", "gas price*", "power price*", "stock price*",
        "share price*", "price risk", "fuel cost*", "spot price*", "price curve*", "clearing price*", "pricing conference",
        "deal desk", "deal-desk", "deal with", "dealing with", "dealt with", "a great deal", "a good deal", "big deal",
        "no big deal", "a deal of", "license plate", "driver's license", "driving licence",
        "upgrade your browser", "term paper", "last term", "this term", "the term paper",
        "long term", "long-term", "short term", "short-term", "in terms of", "terms of use",
        "on good terms", "plan to", "planning to", "plans to", "planned to", "audit committee",
        "onboarding call", "onboarding session", "set up a call", "set up a meeting",
        "set up time", "setup a call", "court reporter", "food court", "tennis court",
        "free to", "feel free", "charge of", "in charge", "free time", "cost of living",
        "vault door", "the agreement of", "in agreement", "data center visit", "training session",
        "fee free", "will pay off", "pay attention", "paid off", "export-import", "shall we",
        "protected time", "password reset", "reset your password", "forgot your password",
        "forgot password", "API call", "support ticket", "your availability", "my availability",
        "his availability", "her availability", "their availability", "availability for",
        "availability next", "availability this", "certified public", "certified mail",
        "certified letter", "compliance with this", "compliance with the terms",
        "compliance with applicable", "compliance with all applicable", "non-compliance", "noncompliance"),
    cue!(Cue::Claim;
        "we are", "we're", "we have", "we've", "we do", "we support", "we offer", "we provide",
        "we can", "we will", "we'll", "we use", "we store", "we host", "we keep", "we never",
        "we always", "we don't", "we do not", "our platform", "our product", "our service",
        "our solution", "our software", "our app", "our system", "our infrastructure",
        "our standard", "our contract", "our policy", "is certified", "are certified",
        "is compliant", "are compliant", "is encrypted", "are encrypted", "is hosted",
        "are hosted", "is stored", "are stored", "is included", "are included", "yes",
        "absolutely", "of course", "fully", "natively", "out of the box", "guarantee*",
        "nothing to worry about", "no need to worry", "don't worry", "usually takes", "typically takes",
        "takes about", "handles it", "admins can", "can be configured", "you can configure", "lets you",
        "allows you to",
        "supports", "is available", "are available", "comes with", "includes",
        "wir sind", "wir haben", "wir bieten", "wir unterstützen", "wir können", "nous pouvons",
        "podemos", "wij kunnen", "we kunnen", "unsere Plattform", "ja",
        "nous sommes", "nous avons", "nous proposons", "notre plateforme", "oui", "somos",
        "tenemos", "ofrecemos", "nuestra plataforma", "sí", "wij zijn", "we zijn", "wij hebben",
        "we hebben", "wij bieden", "we bieden", "ons platform",
        // Statements about the product in the third person ("Acme encrypts …").
        "will provide", "will process", "will not", "does not", "do not", "is enforced",
        "are enforced", "uses", "leverages", "maintains", "complies with", "comply with",
        "follows", "provides", "offers", "allows", "enables", "prevents", "ensures", "protects",
        "stores", "is offered", "will work", "works with", "is never", "are never", "is required",
        "are required", "is designed", "are designed", "is performed", "are performed",
        "is protected", "are protected", "is supported", "are supported"),
    cue!(Cue::Handoff;
        "will get back to you", "will follow up", "will answer", "will respond", "will reach out",
        "will be in touch", "will send you", "will walk you through", "will come back to you",
        "will take this", "will take it from here", "will handle", "will cover", "will loop in",
        "is looping in", "looping in", "loop in", "I'll loop", "have looped", "I've looped",
        "connect you with", "connecting you with", "introduce you to", "put you in touch",
        "best person to answer", "the right person to", "I'll check with", "let me check with",
        "I'll ask", "let me ask", "passing this to", "passed this to", "forwarded your question",
        "forwarding your question", "has your question", "pass this to", "pass this on to",
        "pass it to", "pass it on to", "cc'd", "cc'ing", "copied",
        "wird sich melden", "meldet sich", "wird Ihnen antworten", "leite ich weiter",
        "reviendra vers vous", "vous répondra", "vous recontactera", "se pondrá en contacto",
        "le responderá", "neemt contact met u op", "komt bij u terug"),
    cue!(Cue::Acknowledge;
        "thanks for your question", "thank you for your question", "thanks for the question",
        "thanks for asking", "thank you for asking", "thanks for sending", "thank you for sending",
        "thanks for sharing", "thank you for sharing", "received your", "thanks for raising", "thank you for raising",
        "good question", "great question", "understand your concern", "understand the concern",
        "appreciate you raising", "noted your", "you asked about", "regarding your question",
        "about your question", "on your question", "I hear you on", "danke für Ihre Frage",
        "merci pour votre question", "gracias por su pregunta", "bedankt voor uw vraag"),
    cue!(Cue::Obligation;
        "shall", "shall not", "agrees", "agrees to", "agrees not to", "undertakes", "may not",
        "is granted", "are granted", "will be required to", "reserves the right", "shall have the right",
        "shall be entitled", "shall cause", "shall provide", "shall have", "shall be", "covenants"),
    cue!(Cue::Assent;
        "works for us", "works for me", "that works", "sounds good", "sounds great", "agreed",
        "we agree", "we accept", "accepted", "it's a deal", "deal!", "happy to accept",
        "happy to proceed", "let's do it", "let's proceed", "go ahead", "that's fine", "fine by us",
        "fine with us", "ok with us", "okay with us", "we can live with", "approved", "confirmed",
        "it is", "einverstanden", "passt für uns", "d'accord", "ça nous va", "de acuerdo",
        "nos parece bien", "akkoord", "prima"),
];
