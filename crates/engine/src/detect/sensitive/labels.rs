//! What a number or code is labelled as, when the label says it is not personal data or a
//! credential: a meeting's join code, an order, ticket or tracking number, a company's VAT
//! or registration number, a contract's section number (DESIGN §2, "sensitive").
//!
//! A passcode printed in a meeting invitation is there by design, for every invitee; it
//! opens a call, not a system or data, so it is not a credential. Digits labelled as an
//! order, a ticket or a company number are read as phone numbers by shape alone; their
//! label says otherwise.

/// Words of a paragraph that make it a meeting invitation.
const MEETING_CUES: &[&str] = &[
    "meeting",
    "zoom",
    "teams",
    "webex",
    "google meet",
    "meet.google",
    "gotomeeting",
    "dial-in",
    "dial in",
    "conference id",
    "einwahl",
    "besprechung",
    "konferenz",
    "réunion",
    "visio",
    "reunión",
    "videollamada",
    "vergadering",
    "webinar",
];

/// Words that make a password in that paragraph a system's credential after all.
const SYSTEM_CUES: &[&str] = &[
    "login",
    "log in",
    "log-in",
    "sign in",
    "username",
    "user name",
    "user id",
    "benutzer",
    "anmeld",
    "identifiant",
    "utilisateur",
    "usuario",
    "gebruiker",
    "admin",
    "sandbox",
    "vpn",
    "wifi",
    "wi-fi",
    "wlan",
    "database",
    "server",
    "ssh",
    "console",
    "portal",
    "account",
    "konto",
    "compte",
    "cuenta",
];

/// Whether the password at `at` is a meeting's join code: its paragraph is a meeting
/// invitation and names no system to log in to.
pub(super) fn is_meeting_code(text: &str, at: usize) -> bool {
    let para = paragraph(text, at).to_lowercase();
    MEETING_CUES.iter().any(|c| para.contains(c)) && !SYSTEM_CUES.iter().any(|c| para.contains(c))
}

/// The blank-line-delimited paragraph around `at`.
fn paragraph(text: &str, at: usize) -> &str {
    let start = text
        .get(..at)
        .and_then(|h| h.rfind("\n\n"))
        .map_or(0, |k| k + 2);
    let end = text
        .get(at..)
        .and_then(|t| t.find("\n\n"))
        .map_or(text.len(), |k| at + k);
    text.get(start..end).unwrap_or("")
}

/// Labels of numbers that are references, not phone numbers: whole words.
const REFERENCE_WORDS: &[&str] = &[
    "po", "pin", "id", "ref", "vat", "ust", "btw", "tva", "iva", "cif", "kvk", "hrb", "hra", "rcs",
    "siret", "siren", "order", "ticket", "case", "invoice", "tracking",
];

/// Stems of reference labels, for compounds and inflections: `Bestellnummer`,
/// `Ondernemingsnummer`, `Sendungsnummer`, `référence`.
const REFERENCE_STEMS: &[&str] = &[
    "order",
    "bestell",
    "auftrag",
    "commande",
    "pedido",
    "bestel",
    "ticket",
    "tracking",
    "sendung",
    "invoice",
    "rechnung",
    "facture",
    "factura",
    "factuur",
    "purchase",
    "referen",
    "référence",
    "kenmerk",
    "handelsregister",
    "ondernemingsnummer",
    "registration",
    "firmenbuch",
    "kundennummer",
    "customer",
    "meeting",
    "conference",
    "konferenz",
    "besprechung",
    "réunion",
    "reunión",
    "vergader",
    "webinar",
    "passcode",
    "kenncode",
    "serial",
    "steuernummer",
    "company",
];

/// Whether `word` labels a reference (order, ticket, company or meeting number).
pub(super) fn is_reference_word(word: &str) -> bool {
    REFERENCE_WORDS.iter().any(|r| word.eq_ignore_ascii_case(r))
        || REFERENCE_STEMS.iter().any(|s| {
            word.as_bytes()
                .get(..s.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(s.as_bytes()))
        })
}

/// Whether the number at `at` is labelled as a reference (order, ticket, company or
/// meeting number) by the words just before it on its line.
pub(super) fn labelled_as_reference(text: &str, at: usize) -> bool {
    let from = super::floor_boundary(text, at.saturating_sub(40));
    let tail = text.get(from..at).unwrap_or("");
    let tail = tail.rsplit('\n').next().unwrap_or("");
    // The last three words: `Order no.`, `Btw-nummer: BE`, `Meeting ID:`. Compared without
    // allocating: every phone number in every message passes here.
    tail.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .rev()
        .take(3)
        .any(is_reference_word)
}

/// Words before a dotted number that make it a section of a document, not an IPv4
/// address: `Section 11.1.1.3`, `Ziffer 4.2.1.1`, `art. 2.1.3.4`.
const SECTION_WORDS: &[&str] = &[
    "section",
    "sections",
    "sec",
    "clause",
    "clauses",
    "article",
    "articles",
    "art",
    "paragraph",
    "schedule",
    "annex",
    "appendix",
    "exhibit",
    "abschnitt",
    "ziffer",
    "artikel",
    "anlage",
    "anhang",
    "paragraphe",
    "annexe",
    "apartado",
    "cláusula",
    "anexo",
    "bijlage",
    "lid",
];

/// Whether the number at `at` is a section number by the word just before it.
pub(super) fn labelled_as_section(text: &str, at: usize) -> bool {
    let from = super::floor_boundary(text, at.saturating_sub(24));
    let tail = text.get(from..at).unwrap_or("").trim_end();
    tail.ends_with('§')
        || tail
            .trim_end_matches('.')
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .is_some_and(|w| SECTION_WORDS.iter().any(|s| w.eq_ignore_ascii_case(s)))
}

#[cfg(test)]
mod tests {
    use super::super::SensitiveDetector;
    use crate::detect::{Detector, Document, Signals};

    fn found(text: &str) -> Vec<(String, String)> {
        let doc = Document::new("body", text, None);
        let mut out = Vec::new();
        SensitiveDetector::new()
            .detect(&doc, &Signals::default(), &mut out)
            .expect("detect never fails once built");
        out.into_iter()
            .map(|f| (f.subtopic, text[f.start..f.end].to_owned()))
            .collect()
    }

    #[test]
    fn meeting_passcode_is_not_a_credential() {
        for text in [
            "Join Zoom meeting\nhttps://zoom.us/j/81234567890\nMeeting ID: 812 3456 7890\nPasscode: 731904",
            "Microsoft Teams\nMeeting ID: 311 204 998 127\nPasscode: Tk7pQ2",
            "Webex-Besprechung\nBesprechungskennnummer: 2640 118 9921\nPasswort: Wald24!",
            "Réunion Teams\nID de réunion : 384 122 905 771\nMot de passe : Lx8Rq4",
            "Reunión de Teams\nID de reunión: 384 122 905 771\nContraseña: Pm3Vz9",
            "Teams-vergadering\nVergader-ID: 384 122 905 771\nWachtwoord: Qs5Jn2",
        ] {
            assert!(found(text).is_empty(), "{text:?}: {:?}", found(text));
        }
    }

    #[test]
    fn password_next_to_a_login_is_a_credential_even_in_an_invitation() {
        let text = "Before the Teams meeting, log in to the sandbox:\nUsername: trial-user\nPassword: Kw83!mZq";
        assert_eq!(
            found(text),
            [("password".to_owned(), "Kw83!mZq".to_owned())]
        );
    }

    #[test]
    fn sandbox_password_is_a_credential() {
        for (text, value) in [
            (
                "Your sandbox is ready.\nUser: demo\nPassword: Rb52#kLp",
                "Rb52#kLp",
            ),
            (
                "Die Testumgebung steht.\nBenutzer: demo\nPasswort: Rb52#kLp",
                "Rb52#kLp",
            ),
            (
                "Votre bac à sable est prêt.\nMot de passe : Rb52#kLp",
                "Rb52#kLp",
            ),
            (
                "Tu entorno de pruebas está listo.\nContraseña: Rb52#kLp",
                "Rb52#kLp",
            ),
            (
                "Je testomgeving staat klaar.\nWachtwoord: Rb52#kLp",
                "Rb52#kLp",
            ),
        ] {
            assert_eq!(
                found(text),
                [("password".to_owned(), value.to_owned())],
                "{text:?}"
            );
        }
    }

    #[test]
    fn redacted_secret_is_not_a_credential() {
        for text in [
            "Password: [REDACTED]",
            "API key: ****************",
            "Passwort: ********",
            "token = <redacted>",
        ] {
            assert!(found(text).is_empty(), "{text:?}: {:?}", found(text));
        }
    }

    #[test]
    fn order_ticket_and_company_numbers_are_not_phone_numbers() {
        for text in [
            "Order no. 030 1234 5678 ships Monday",
            "Ticket: 0800 123 4567",
            "Btw-nummer: BE 0123.456.789",
            "Ondernemingsnummer: 0123.456.789",
            "Meeting ID: 0301 234 5678",
            "Bestellnummer 030 1234567",
            "Numéro de commande : 01 23 45 67 89",
        ] {
            assert!(found(text).is_empty(), "{text:?}: {:?}", found(text));
        }
    }

    #[test]
    fn section_number_is_not_an_ip_address() {
        assert!(found("as set out in Section 11.2.1.4(b) of the agreement").is_empty());
        assert!(found("gemäß Ziffer 4.1.2.3 des Vertrags").is_empty());
        assert_eq!(
            found("Allow 10.2.1.4 through the firewall"),
            [("ip_address".to_owned(), "10.2.1.4".to_owned())]
        );
    }
}
