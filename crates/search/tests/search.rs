//! The index on a small corpus of its own: what R7, R8 and R11 ask of
//! search, one behaviour per test.

use guichet_domain::article::Audience;
use guichet_domain::user::Language;
use guichet_search::{Change, Document, Kind, Mode, SearchIndex, SearchRequest};

fn doc(id: &str, lang: Language, title: &str, body: &str) -> Document {
    Document {
        kind: Kind::Article,
        id: id.into(),
        slug: format!("{id}-slug"),
        lang,
        title: title.into(),
        body: body.into(),
        products: vec!["financials".into()],
        areas: vec!["general_ledger".into()],
        tags: vec![],
        error_codes: vec![],
        error_messages: vec![],
        page_keys: vec![],
        audience: Audience::Public,
        helpful: 0,
    }
}

fn corpus() -> SearchIndex {
    let index = SearchIndex::in_memory();
    let mut reconcile_fr = doc(
        "reconcile",
        Language::Fr,
        "Rapprochement bancaire : lettrer les relevés",
        "Pour rapprocher un relevé bancaire, importez le relevé puis lettrez les opérations.",
    );
    reconcile_fr.areas = vec!["cash_management".into()];
    reconcile_fr.page_keys = vec!["cash/bank-reconciliation".into()];
    reconcile_fr.helpful = 3;
    let mut reconcile_en = doc(
        "reconcile",
        Language::En,
        "Bank reconciliation: matching statements",
        "To reconcile a bank statement, import it and match its transactions.",
    );
    reconcile_en.areas = vec!["cash_management".into()];
    reconcile_en.page_keys = vec!["cash/bank-reconciliation".into()];
    reconcile_en.helpful = 3;
    let entries_fr = doc(
        "entries",
        Language::Fr,
        "Saisir des écritures de journal",
        "Les écritures doivent être équilibrées : le total des débits égale le total des crédits.",
    );
    let mut closed = doc(
        "closed",
        Language::En,
        "Posting refused because the period is closed",
        "Reopen the accounting period or post to the next open period.",
    );
    closed.error_codes = vec!["GL-4012".into()];
    closed.error_messages = vec!["The posting period is closed".into()];
    closed.page_keys = vec!["gl/journal-entry/new".into()];
    let mut internal = doc(
        "internal",
        Language::En,
        "Internal: bank reconciliation database repair",
        "Run the repair script on the reconciliation tables.",
    );
    internal.audience = Audience::Internal;
    internal.page_keys = vec!["cash/bank-reconciliation".into()];
    internal.helpful = 10;
    let mut customers = doc(
        "customers",
        Language::En,
        "Timesheet approval rules",
        "Approvers see timesheets.",
    );
    customers.audience = Audience::Customers;
    customers.products = vec!["time".into()];
    customers.areas = vec!["approvals".into()];
    let changes: Vec<Change> = vec![
        change("reconcile", vec![reconcile_fr, reconcile_en]),
        change("entries", vec![entries_fr]),
        change("closed", vec![closed]),
        change("internal", vec![internal]),
        change("customers", vec![customers]),
    ];
    index.apply(&changes, Some("cursor-1")).unwrap();
    index
}

fn change(id: &str, documents: Vec<Document>) -> Change {
    Change {
        kind: Kind::Article,
        id: id.into(),
        documents,
    }
}

fn request<'a>(text: &'a str, audiences: &'a [Audience]) -> SearchRequest<'a> {
    SearchRequest {
        text,
        lang: None,
        kinds: &[],
        product: None,
        area: None,
        audiences,
        limit: 10,
        offset: 0,
        mode: Mode::Search,
    }
}

const PUBLIC: &[Audience] = &[Audience::Public];
const CUSTOMERS: &[Audience] = &[Audience::Public, Audience::Customers];
const STAFF: &[Audience] = &Audience::ALL;

fn ids(index: &SearchIndex, request: &SearchRequest<'_>) -> Vec<String> {
    index.search(request).unwrap().hits.into_iter().map(|h| h.id).collect()
}

fn first(index: &SearchIndex, text: &str, lang: Option<Language>) -> Option<String> {
    let mut request = request(text, PUBLIC);
    request.lang = lang;
    ids(index, &request).into_iter().next()
}

#[test]
fn r8_french_without_accents_and_with_a_typo_finds_the_french_article() {
    let index = corpus();
    let page = index
        .search(&SearchRequest {
            lang: Some(Language::Fr),
            ..request("rapprochemnt bancaire releve", PUBLIC)
        })
        .unwrap();
    assert_eq!(page.hits[0].id, "reconcile");
    assert_eq!(page.hits[0].lang, Language::Fr);
    assert_eq!(
        first(&index, "ecritures equilibrees", Some(Language::Fr)).as_deref(),
        Some("entries")
    );
}

#[test]
fn r8_elisions_and_plurals_meet() {
    let index = corpus();
    assert_eq!(
        first(&index, "l'écriture", Some(Language::Fr)).as_deref(),
        Some("entries")
    );
    assert_eq!(first(&index, "d'ecriture", None).as_deref(), Some("entries"));
    assert_eq!(
        first(&index, "reconciliations", Some(Language::En)).as_deref(),
        Some("reconcile")
    );
}

#[test]
fn r8_an_error_code_finds_the_article_that_resolves_it() {
    let index = corpus();
    assert_eq!(first(&index, "GL-4012", None).as_deref(), Some("closed"));
    assert_eq!(first(&index, "gl-4012", None).as_deref(), Some("closed"));
    assert_eq!(
        first(&index, "error GL-4012 when posting", None).as_deref(),
        Some("closed")
    );
}

#[test]
fn r8_quoted_messages_match_word_for_word() {
    let index = corpus();
    assert_eq!(
        ids(&index, &request("\"The posting period is closed\"", PUBLIC)),
        vec!["closed"]
    );
    // Every quoted word is there, but not in that order: no match.
    assert!(ids(&index, &request("\"closed period posting\"", PUBLIC)).is_empty());
}

#[test]
fn r8_customers_never_see_internal_articles() {
    let index = corpus();
    let anonymous = ids(&index, &request("bank reconciliation", PUBLIC));
    assert!(anonymous.contains(&"reconcile".to_owned()));
    assert!(!anonymous.contains(&"internal".to_owned()));
    assert!(!ids(&index, &request("bank reconciliation repair", CUSTOMERS)).contains(&"internal".to_owned()));
    assert!(ids(&index, &request("repair", CUSTOMERS)).is_empty());
    assert!(ids(&index, &request("repair", STAFF)).contains(&"internal".to_owned()));
    assert!(ids(&index, &request("timesheet approval", PUBLIC)).is_empty());
    assert_eq!(
        ids(&index, &request("timesheet approval", CUSTOMERS)),
        vec!["customers"]
    );
    let help = index
        .for_page("cash/bank-reconciliation", Language::En, CUSTOMERS, 10)
        .unwrap();
    assert_eq!(
        help.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        vec!["reconcile"]
    );
}

#[test]
fn r8_filters_by_product_area_kind_and_language() {
    let index = corpus();
    let in_area = SearchRequest {
        area: Some("cash_management"),
        ..request("bank", STAFF)
    };
    assert_eq!(ids(&index, &in_area), vec!["reconcile"]);
    let in_time = SearchRequest {
        product: Some("time"),
        ..request("", CUSTOMERS)
    };
    assert_eq!(ids(&index, &in_time), vec!["customers"]);
    let articles = SearchRequest {
        kinds: &[Kind::Article],
        lang: Some(Language::En),
        ..request("reconcile", PUBLIC)
    };
    let page = index.search(&articles).unwrap();
    assert!(page.hits.iter().all(|h| h.lang == Language::En));
}

#[test]
fn r8_one_hit_per_article_without_a_language() {
    let index = corpus();
    let hits = index
        .search(&request("bank rapprochement reconciliation", PUBLIC))
        .unwrap()
        .hits;
    assert_eq!(hits.iter().filter(|h| h.id == "reconcile").count(), 1);
}

#[test]
fn r8_snippets_highlight_and_escape() {
    let index = SearchIndex::in_memory();
    let d = doc(
        "x",
        Language::En,
        "Scripts",
        "Never paste <script>alert(1)</script> into a reconciliation note.",
    );
    index.apply(&[change("x", vec![d])], None).unwrap();
    let hit = &index.search(&request("reconciliation", PUBLIC)).unwrap().hits[0];
    assert!(hit.snippet.contains("<mark>reconciliation</mark>"), "{}", hit.snippet);
    assert!(hit.snippet.contains("&lt;script&gt;"), "{}", hit.snippet);
    assert!(!hit.snippet.contains("<script>"));
}

#[test]
fn r8_pages_follow_each_other() {
    let index = SearchIndex::in_memory();
    let changes: Vec<Change> = (0..25)
        .map(|n| {
            change(
                &format!("a{n}"),
                vec![doc(
                    &format!("a{n}"),
                    Language::En,
                    &format!("Invoice {n}"),
                    "An invoice.",
                )],
            )
        })
        .collect();
    index.apply(&changes, None).unwrap();
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = index
            .search(&SearchRequest {
                offset,
                limit: 10,
                lang: Some(Language::En),
                ..request("invoice", PUBLIC)
            })
            .unwrap();
        seen.extend(page.hits.into_iter().map(|h| h.id));
        match page.next_offset {
            Some(next) => offset = next,
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 25);
}

#[test]
fn r11_suggestions_match_an_unfinished_word() {
    let index = corpus();
    let suggest = SearchRequest {
        mode: Mode::Suggest,
        limit: 5,
        ..request("bank reconcil", PUBLIC)
    };
    assert_eq!(ids(&index, &suggest).first().map(String::as_str), Some("reconcile"));
    let suggest = SearchRequest {
        mode: Mode::Suggest,
        limit: 5,
        ..request("rappro", PUBLIC)
    };
    assert_eq!(ids(&index, &suggest).first().map(String::as_str), Some("reconcile"));
}

#[test]
fn r7_help_for_a_page_prefers_the_readers_language_and_falls_back() {
    let index = corpus();
    let fr = index
        .for_page("cash/bank-reconciliation", Language::Fr, PUBLIC, 10)
        .unwrap();
    assert_eq!(fr.len(), 1);
    assert_eq!(fr[0].lang, Language::Fr);
    let en = index
        .for_page("gl/journal-entry/new", Language::Fr, PUBLIC, 10)
        .unwrap();
    assert_eq!(en[0].id, "closed");
    assert_eq!(en[0].lang, Language::En, "no French version: the English one");
}

#[test]
fn changes_replace_and_remove_and_the_cursor_survives() {
    let index = corpus();
    assert_eq!(index.cursor().unwrap().as_deref(), Some("cursor-1"));
    index.apply(&[change("closed", vec![])], None).unwrap();
    assert!(first(&index, "GL-4012", None).is_none());
    assert_eq!(
        index.cursor().unwrap().as_deref(),
        Some("cursor-1"),
        "kept when not given"
    );
    let dir = tempfile::tempdir().unwrap();
    let (disk, opened) = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(opened, guichet_search::Opened::Empty);
    disk.apply(
        &[change("e", vec![doc("e", Language::En, "Expenses", "Receipts.")])],
        Some("c2"),
    )
    .unwrap();
    assert!(matches!(
        SearchIndex::open(dir.path()),
        Err(guichet_search::SearchError::Locked)
    ));
    drop(disk);
    let (disk, opened) = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(opened, guichet_search::Opened::Existing);
    assert_eq!(disk.cursor().unwrap().as_deref(), Some("c2"));
    assert_eq!(disk.len(), 1);
}
