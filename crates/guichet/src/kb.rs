//! `guichet kb import DIR` and `guichet kb export DIR` (R8): the knowledge
//! base as a folder of Markdown (or HTML) files, one per article and
//! language, each with a YAML front matter:
//!
//! ```text
//! ---
//! slug: bank-reconciliation
//! lang: fr
//! title: Rapprochement bancaire
//! products: [financials]
//! areas: [cash_management]
//! tags: [banque]
//! error_codes: [CM-2201]
//! page_keys: [cash/bank-reconciliation]
//! audience: public        # public (default), customers, internal
//! status: published       # published (default), draft, archived
//! error_messages: ["Le relevé est déjà rapproché"]   # optional
//! ---
//! The body, in Markdown.
//! ```
//!
//! Two files with the same slug and different `lang` are translations of
//! one article. Importing is idempotent by slug and language; a bad file is
//! reported by name with the reason, and the rest still import.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use guichet_domain::article::{ArticleContent, ArticleDraft, Audience, BodyFormat, Slug, Translation};
use guichet_domain::user::Language;
use guichet_store::Store;
use guichet_web::knowledge::{self, Imported};
use jiff::Timestamp;
use yaml_rust2::{Yaml, YamlLoader};

const KEYS: [&str; 12] = [
    "slug",
    "lang",
    "title",
    "products",
    "areas",
    "tags",
    "error_codes",
    "page_keys",
    "audience",
    "status",
    "error_messages",
    "format",
];

/// One file, read and understood (not yet checked against the rules).
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleFile {
    pub slug: String,
    pub lang: Language,
    pub title: String,
    pub body: String,
    pub format: BodyFormat,
    pub products: Vec<String>,
    pub areas: Vec<String>,
    pub tags: Vec<String>,
    pub error_codes: Vec<String>,
    pub error_messages: Vec<String>,
    pub page_keys: Vec<String>,
    pub audience: Option<String>,
    pub status: Option<String>,
}

/// Splits `---` front matter from the body.
fn front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

fn text_value(value: &Yaml, key: &str) -> Result<String, String> {
    match value {
        Yaml::String(s) => Ok(s.clone()),
        Yaml::Integer(i) => Ok(i.to_string()),
        Yaml::Real(r) => Ok(r.clone()),
        Yaml::Boolean(b) => Ok(b.to_string()),
        _ => Err(format!("`{key}` must be text")),
    }
}

fn list_value(value: &Yaml, key: &str) -> Result<Vec<String>, String> {
    match value {
        Yaml::Array(items) => items.iter().map(|item| text_value(item, key)).collect(),
        Yaml::Null => Ok(Vec::new()),
        other => Ok(vec![
            text_value(other, key).map_err(|_| format!("`{key}` must be a list of text"))?,
        ]),
    }
}

/// The title of an HTML page: its `<title>`, else its first `<h1>`.
fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    for tag in ["title", "h1"] {
        if let Some(start) = lower.find(&format!("<{tag}")) {
            let open_end = lower[start..].find('>')? + start + 1;
            let close = lower[open_end..].find(&format!("</{tag}>"))? + open_end;
            let title = guichet_web::markdown::to_plain_text(&html[open_end..close], BodyFormat::Html);
            if !title.trim().is_empty() {
                return Some(title.trim().to_owned());
            }
        }
    }
    None
}

/// Reads one file: front matter (required for Markdown; optional for HTML,
/// whose title, language and slug can come from the page and its name).
pub fn parse_file(name: &str, text: &str) -> Result<ArticleFile, String> {
    let html = name.ends_with(".html") || name.ends_with(".htm");
    let (yaml, body) = match front_matter(text) {
        Some((yaml, body)) => (Some(yaml), body),
        None if html => (None, text),
        None => return Err("no front matter (a `---` block at the top)".into()),
    };
    let mut map = BTreeMap::new();
    if let Some(yaml) = yaml {
        let documents = YamlLoader::load_from_str(yaml).map_err(|e| format!("front matter: {e}"))?;
        match documents.into_iter().next() {
            Some(Yaml::Hash(hash)) => {
                for (key, value) in hash {
                    let key = text_value(&key, "key")?;
                    if !KEYS.contains(&key.as_str()) {
                        return Err(format!("unknown front matter key `{key}` (known: {})", KEYS.join(", ")));
                    }
                    map.insert(key, value);
                }
            }
            Some(Yaml::Null) | None => {}
            Some(_) => return Err("the front matter is not a set of `key: value` lines".into()),
        }
    }
    let text_of = |key: &str| map.get(key).map(|v| text_value(v, key)).transpose();
    let list_of = |key: &str| map.get(key).map_or(Ok(Vec::new()), |v| list_value(v, key));
    let lang = match text_of("lang")? {
        Some(lang) => Language::parse(&lang).map_err(|e| format!("`lang`: {e}"))?,
        None if html => html_lang(body).ok_or("no `lang` (front matter or `<html lang>`)")?,
        None => return Err("no `lang` (fr or en)".into()),
    };
    let title = match text_of("title")? {
        Some(title) => title,
        None if html => html_title(body).ok_or("no `title` (front matter, `<title>` or `<h1>`)")?,
        None => return Err("no `title`".into()),
    };
    let slug = match text_of("slug")? {
        Some(slug) => slug,
        None if html => {
            let stem = Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or(name);
            Slug::from_text(stem)
                .map_err(|e| format!("no `slug`, and the file name makes none: {e}"))?
                .to_string()
        }
        None => return Err("no `slug`".into()),
    };
    let format = match text_of("format")? {
        Some(format) => BodyFormat::parse(&format).map_err(|e| format!("`format`: {e}"))?,
        None if html => BodyFormat::Html,
        None => BodyFormat::Markdown,
    };
    Ok(ArticleFile {
        slug,
        lang,
        title,
        body: body.trim().to_owned(),
        format,
        products: list_of("products")?,
        areas: list_of("areas")?,
        tags: list_of("tags")?,
        error_codes: list_of("error_codes")?,
        error_messages: list_of("error_messages")?,
        page_keys: list_of("page_keys")?,
        audience: text_of("audience")?,
        status: text_of("status")?,
    })
}

fn html_lang(html: &str) -> Option<Language> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<html")?;
    let tag = &lower[start..start + lower[start..].find('>')?];
    let at = tag.find("lang=")? + 5;
    let value: String = tag[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    Language::parse(&value).ok()
}

/// The files of one article (one per language) as the content to import.
pub fn merge(files: &[&ArticleFile]) -> Result<ArticleContent, String> {
    let mut draft = ArticleDraft {
        slug: files[0].slug.clone(),
        ..ArticleDraft::default()
    };
    let mut audiences = Vec::new();
    for file in files {
        for (into, from) in [
            (&mut draft.products, &file.products),
            (&mut draft.areas, &file.areas),
            (&mut draft.tags, &file.tags),
            (&mut draft.error_codes, &file.error_codes),
            (&mut draft.page_keys, &file.page_keys),
        ] {
            for item in from {
                if !into.contains(item) {
                    into.push(item.clone());
                }
            }
        }
        if let Some(audience) = &file.audience {
            audiences.push(Audience::parse(audience).map_err(|e| format!("`audience`: {e}"))?);
        }
        if draft.status.is_none() {
            draft.status.clone_from(&file.status);
        }
        draft.translations.push(Translation {
            lang: file.lang,
            title: file.title.clone(),
            body: file.body.clone(),
            format: file.format,
            error_messages: file.error_messages.clone(),
        });
    }
    // Translations that disagree: the narrowest audience wins.
    draft.audience = audiences.into_iter().max().map(|a| a.as_str().to_owned());
    ArticleContent::parse(draft).map_err(|(field, invalid)| format!("`{field}`: {invalid}"))
}

/// What importing a folder did, file by file.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// File name, slug and language, and what happened.
    pub imported: Vec<(String, String, Language, Imported)>,
    /// File name and why it was refused.
    pub refused: Vec<(String, String)>,
}

impl ImportReport {
    pub fn count(&self, what: Imported) -> usize {
        self.imported.iter().filter(|(_, _, _, w)| *w == what).count()
    }
}

/// The article files of `dir` (`.md`, `.markdown`, `.html`, `.htm`),
/// sorted, searched recursively.
fn article_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "md" | "markdown" | "html" | "htm"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Imports every article file of `dir`.
pub async fn import_dir(store: &Store, dir: &Path, now: Timestamp) -> anyhow::Result<ImportReport> {
    let mut named = Vec::new();
    for path in article_files(dir)? {
        let name = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => {
                named.push((name, Err(format!("unreadable: {error}"))));
                continue;
            }
        };
        let parsed = parse_file(&name, &text);
        named.push((name, parsed));
    }
    import_files(store, named, now).await
}

/// Imports parsed files (the demo data comes here too).
pub async fn import_files(
    store: &Store,
    files: Vec<(String, Result<ArticleFile, String>)>,
    now: Timestamp,
) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut by_slug: BTreeMap<String, Vec<(String, ArticleFile)>> = BTreeMap::new();
    for (name, parsed) in files {
        match parsed {
            Ok(file) => {
                let group = by_slug.entry(file.slug.clone()).or_default();
                if let Some((first, _)) = group.iter().find(|(_, other)| other.lang == file.lang) {
                    report.refused.push((
                        name,
                        format!("`{}` in `{}` is already in {first}", file.slug, file.lang.code()),
                    ));
                } else {
                    group.push((name, file));
                }
            }
            Err(reason) => report.refused.push((name, reason)),
        }
    }
    for (slug, group) in by_slug {
        let files: Vec<&ArticleFile> = group.iter().map(|(_, f)| f).collect();
        let outcome = match merge(&files) {
            Ok(content) => knowledge::import_article(store, content, None, now)
                .await
                .map_err(|e| e.detail),
            Err(reason) => Err(reason),
        };
        match outcome {
            Ok((what, _)) => {
                for (name, file) in &group {
                    report.imported.push((name.clone(), slug.clone(), file.lang, what));
                }
            }
            Err(reason) => {
                for (name, _) in &group {
                    report.refused.push((name.clone(), reason.clone()));
                }
            }
        }
    }
    report.refused.sort();
    Ok(report)
}

fn yaml_text(text: &str) -> String {
    // JSON strings are YAML double-quoted scalars.
    serde_json::to_string(text).expect("text serializes")
}

fn yaml_list<T: AsRef<str>>(items: &[T]) -> String {
    let items: Vec<String> = items.iter().map(|i| yaml_text(i.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

/// One translation of an article as a file: its name and its text.
pub fn to_file(content: &ArticleContent, translation: &Translation) -> (String, String) {
    let extension = match translation.format {
        BodyFormat::Markdown => "md",
        BodyFormat::Html => "html",
    };
    let name = format!("{}.{}.{extension}", content.slug, translation.lang.code());
    let mut text = String::from("---\n");
    text.push_str(&format!("slug: {}\n", content.slug));
    text.push_str(&format!("lang: {}\n", translation.lang.code()));
    text.push_str(&format!("title: {}\n", yaml_text(&translation.title)));
    let keys: Vec<String> = content.products.iter().map(|p| p.as_str().to_owned()).collect();
    text.push_str(&format!("products: {}\n", yaml_list(&keys)));
    let keys: Vec<String> = content.areas.iter().map(|a| a.as_str().to_owned()).collect();
    text.push_str(&format!("areas: {}\n", yaml_list(&keys)));
    text.push_str(&format!("tags: {}\n", yaml_list(&content.tags)));
    let keys: Vec<String> = content.error_codes.iter().map(|c| c.as_str().to_owned()).collect();
    text.push_str(&format!("error_codes: {}\n", yaml_list(&keys)));
    if !translation.error_messages.is_empty() {
        text.push_str(&format!("error_messages: {}\n", yaml_list(&translation.error_messages)));
    }
    let keys: Vec<String> = content.page_keys.iter().map(|p| p.as_str().to_owned()).collect();
    text.push_str(&format!("page_keys: {}\n", yaml_list(&keys)));
    text.push_str(&format!("audience: {}\n", content.audience.as_str()));
    text.push_str(&format!("status: {}\n", content.status.as_str()));
    if translation.format == BodyFormat::Html {
        text.push_str("format: html\n");
    }
    text.push_str("---\n");
    text.push_str(&translation.body);
    text.push('\n');
    (name, text)
}

/// Writes every article, each translation a file; returns how many files.
pub async fn export_dir(store: &Store, dir: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut written = 0;
    let mut after = None;
    loop {
        let page = store.articles_after(after.as_ref(), 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.article.id.clone());
        for stored in &page {
            let content = &stored.article.content;
            for translation in &content.translations {
                let (name, text) = to_file(content, translation);
                std::fs::write(dir.join(name), text)?;
                written += 1;
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "---\nslug: period-closed\nlang: fr\ntitle: \"Période clôturée : que faire ?\"\nproducts: [financials]\nerror_codes: [GL-4012]\npage_keys:\n  - gl/journal-entry/new\n---\n# Corps\n\nTexte.\n";

    #[test]
    fn r8_front_matter_keys_are_read() {
        let file = parse_file("a.md", FILE).unwrap();
        assert_eq!(file.slug, "period-closed");
        assert_eq!(file.lang, Language::Fr);
        assert_eq!(file.title, "Période clôturée : que faire ?");
        assert_eq!(file.page_keys, vec!["gl/journal-entry/new"]);
        assert_eq!(file.body, "# Corps\n\nTexte.");
        assert_eq!(file.audience, None);
    }

    #[test]
    fn bad_files_say_why() {
        assert!(
            parse_file("a.md", "# no front matter")
                .unwrap_err()
                .contains("front matter")
        );
        assert!(
            parse_file("a.md", "---\nslug: x\nlang: de\ntitle: t\n---\nb")
                .unwrap_err()
                .contains("lang")
        );
        assert!(
            parse_file("a.md", "---\nslug: x\nlang: fr\ntitle: t\nauthor: me\n---\nb")
                .unwrap_err()
                .contains("author")
        );
        assert!(
            parse_file("a.md", "---\nslug: [x\n---\nb")
                .unwrap_err()
                .contains("front matter")
        );
        assert!(
            parse_file("a.md", "---\nslug: x\nlang: fr\n---\nb")
                .unwrap_err()
                .contains("title")
        );
    }

    #[test]
    fn html_pages_bring_their_own_title_and_language() {
        let file = parse_file(
            "calc/Sum Function.html",
            "<html lang=\"en-US\"><head><title>SUM</title></head><body><p>Adds.</p></body></html>",
        )
        .unwrap();
        assert_eq!(
            (file.slug.as_str(), file.lang, file.title.as_str()),
            ("sum-function", Language::En, "SUM")
        );
        assert_eq!(file.format, BodyFormat::Html);
    }

    #[test]
    fn r8_export_reads_back_the_same() {
        let fr = parse_file("a.md", FILE).unwrap();
        let mut en = fr.clone();
        en.lang = Language::En;
        en.title = "Period \"closed\"".into();
        en.audience = Some("customers".into());
        let content = merge(&[&fr, &en]).unwrap();
        assert_eq!(content.audience, Audience::Customers);
        for translation in &content.translations {
            let (name, text) = to_file(&content, translation);
            let again = parse_file(&name, &text).unwrap();
            assert_eq!(again.title, translation.title);
            assert_eq!(merge(&[&again]).unwrap().page_keys, content.page_keys);
        }
    }
}
