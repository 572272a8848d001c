//! Search under load (R8): `GET /api/v1/search` through the real HTTP edge
//! over a knowledge base built from the LibreOffice help (French and
//! English, `bench/libreoffice_corpus.py`), optionally copied N times,
//! against a baseline run in the same command: SQLite FTS5 over the same
//! documents behind a bare axum server, with the same queries, the same
//! connections and the same load generator (wrk). Then known-item quality:
//! MRR@10 of the demo relevance set, Guichet against PostgreSQL full-text
//! search with its `french` and `english` configurations.
//!
//!     bench/search.sh            # downloads the corpus, then runs this
//!     cargo run --release -p guichet-bench --bin search -- --corpus DIR --copies 10

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use axum::Json;
use axum::extract::{Query, State};
use axum::routing::get;
use clap::Parser;
use guichet::config::{Config, DatabaseUrl, SearchConfig};
use guichet::kb::{self, ArticleFile};
use guichet_domain::article::{Article, ArticleId, Audience};
use guichet_domain::user::Language;
use guichet_search::{Change, Document, Kind, Mode, SearchIndex, SearchRequest};
use guichet_store::StoredArticle;
use guichet_store::testing::TestDatabase;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

#[derive(Debug, Parser)]
struct Args {
    /// The corpus: a folder of `kb import` files (bench/libreoffice_corpus.py).
    #[arg(long)]
    corpus: PathBuf,
    /// How many times the corpus is indexed (copies get their own ids).
    #[arg(long, default_value_t = 1)]
    copies: usize,
    /// How long each load run lasts.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// How many different queries the load cycles through.
    #[arg(long, default_value_t = 400)]
    queries: usize,
    /// PostgreSQL server for the MRR baseline (a database is made and dropped).
    #[arg(
        long,
        env = "GUICHET_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    postgres: String,
}

/// One `kb import` file as the index holds it (the import's own reader,
/// the server's own document builder).
fn document_of(file: &ArticleFile, id: &str, slug_suffix: &str) -> anyhow::Result<Vec<Document>> {
    let mut content = kb::merge(&[file]).map_err(|e| anyhow::anyhow!(e))?;
    content.status = guichet_domain::article::ArticleStatus::Published;
    let stored = StoredArticle {
        article: Article {
            id: ArticleId(id.to_owned()),
            content,
            version: 1,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        },
        votes: Default::default(),
    };
    let mut documents = guichet_web::knowledge::documents(&stored);
    for document in &mut documents {
        document.slug.push_str(slug_suffix);
    }
    Ok(documents)
}

fn read_corpus(dir: &Path) -> anyhow::Result<Vec<ArticleFile>> {
    let mut files = Vec::new();
    let mut refused = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "md") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            match kb::parse_file(&name, &std::fs::read_to_string(&path)?) {
                Ok(file) => files.push(file),
                Err(_) => refused += 1,
            }
        }
    }
    files.sort_by(|a, b| (&a.slug, a.lang.code()).cmp(&(&b.slug, b.lang.code())));
    if files.is_empty() {
        bail!("no article in {}: run bench/libreoffice_corpus.py first", dir.display());
    }
    if refused > 0 {
        eprintln!("{refused} corpus files refused by the reader");
    }
    Ok(files)
}

/// The documents of every copy, grouped per article.
fn changes(files: &[ArticleFile], copies: usize) -> anyhow::Result<Vec<Change>> {
    let mut changes = Vec::new();
    for copy in 0..copies {
        let mut by_id: HashMap<String, Vec<Document>> = HashMap::new();
        for file in files {
            let (id, suffix) = if copy == 0 {
                (file.slug.clone(), String::new())
            } else {
                (format!("{}~{copy}", file.slug), format!("-c{copy}"))
            };
            by_id
                .entry(id.clone())
                .or_default()
                .extend(document_of(file, &id, &suffix)?);
        }
        changes.extend(by_id.into_iter().map(|(id, documents)| Change {
            kind: Kind::Article,
            id,
            documents,
        }));
    }
    Ok(changes)
}

fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

/// Known-item queries from the corpus: a few words of a title, in its
/// language; every third French one without accents, every fourth with two
/// letters swapped in its longest word.
fn queries(files: &[ArticleFile], count: usize) -> Vec<(Language, String)> {
    let step = (files.len() / count.max(1)).max(1);
    let mut queries = Vec::new();
    for (n, file) in files.iter().step_by(step).take(count).enumerate() {
        let words: Vec<String> = file
            .title
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .take(4)
            .map(str::to_lowercase)
            .collect();
        if words.is_empty() {
            continue;
        }
        let mut text = words.join(" ");
        if file.lang == Language::Fr && n % 3 == 0 {
            text = fold(&text);
        }
        if n % 4 == 0
            && let Some(longest) = words.iter().max_by_key(|w| w.chars().count())
            && longest.chars().count() >= 5
        {
            let mut chars: Vec<char> = longest.chars().collect();
            chars.swap(2, 3);
            text = text.replacen(longest.as_str(), &chars.into_iter().collect::<String>(), 1);
        }
        queries.push((file.lang, text));
    }
    queries
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// What wrk measured.
#[derive(Debug, Default)]
struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: String,
}

fn milliseconds(value: &str) -> f64 {
    let value = value.trim();
    let (number, factor) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (value, 1.0)
    };
    number.parse::<f64>().unwrap_or(f64::NAN) * factor
}

/// Runs wrk against `base` cycling through `paths`.
fn wrk(base: &str, paths: &[String], args: &Args, work: &Path) -> anyhow::Result<Load> {
    let script = work.join("paths.lua");
    let list: Vec<String> = paths.iter().map(|p| format!("[[{p}]]")).collect();
    std::fs::write(
        &script,
        format!(
            "local paths = {{ {} }}\nlocal i = math.random(#paths)\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(\"GET\", paths[i])\nend\n",
            list.join(", ")
        ),
    )?;
    let output = std::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{}", args.connections),
            &format!("-d{}s", args.seconds),
            "--latency",
            "-s",
        ])
        .arg(&script)
        .arg(base)
        .output()
        .context("running wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let mut load = Load::default();
    let mut in_distribution = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("Latency Distribution") {
            in_distribution = true;
        } else if in_distribution && let Some(value) = line.strip_prefix("50%") {
            load.p50_ms = milliseconds(value);
        } else if in_distribution && let Some(value) = line.strip_prefix("99%") {
            load.p99_ms = milliseconds(value);
            in_distribution = false;
        } else if let Some(value) = line.strip_prefix("Requests/sec:") {
            load.requests_per_second = value.trim().parse().unwrap_or(0.0);
        } else if line.starts_with("Non-2xx") || line.starts_with("Socket errors") {
            load.errors.push_str(line);
            load.errors.push(' ');
        }
    }
    if load.requests_per_second == 0.0 {
        bail!(
            "wrk printed no figures:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(load)
}

// ---- The baseline: SQLite FTS5 behind a bare axum server ----

#[derive(Deserialize)]
struct FtsQuery {
    q: String,
    lang: Option<String>,
}

/// FTS5's own query syntax for what people typed: every word quoted (so no
/// word is read as an operator), all required — FTS5's default.
fn fts_match(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn fts_search(State(pool): State<SqlitePool>, Query(query): Query<FtsQuery>) -> Json<Value> {
    let matching = fts_match(&query.q);
    if matching.is_empty() {
        return Json(json!({"results": [], "next_cursor": null}));
    }
    let rows = sqlx::query(
        "SELECT slug, lang, title, snippet(docs, 3, '<mark>', '</mark>', '…', 24), bm25(docs, 0.0, 0.0, 3.0, 1.0) AS score \
         FROM docs WHERE docs MATCH $1 AND ($2 IS NULL OR lang = $2) ORDER BY score LIMIT 11",
    )
    .bind(&matching)
    .bind(&query.lang)
    .fetch_all(&pool)
    .await
    .unwrap_or_default();
    let results: Vec<Value> = rows
        .iter()
        .take(10)
        .map(|row| {
            json!({
                "kind": "article",
                "slug": row.get::<String, _>(0),
                "lang": row.get::<String, _>(1),
                "title": row.get::<String, _>(2),
                "snippet": row.get::<String, _>(3),
                "score": -row.get::<f64, _>(4),
            })
        })
        .collect();
    Json(json!({"results": results, "next_cursor": null}))
}

async fn fts_database(path: &Path, changes: &[Change]) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::new().filename(path).create_if_missing(true);
    let writer = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await?;
    sqlx::query(
        "CREATE VIRTUAL TABLE docs USING fts5(slug UNINDEXED, lang UNINDEXED, title, body, \
         tokenize = 'unicode61 remove_diacritics 2')",
    )
    .execute(&writer)
    .await?;
    let mut transaction = writer.begin().await?;
    for document in changes.iter().flat_map(|c| &c.documents) {
        sqlx::query("INSERT INTO docs (slug, lang, title, body) VALUES ($1, $2, $3, $4)")
            .bind(&document.slug)
            .bind(document.lang.code())
            .bind(&document.title)
            .bind(&document.body)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    sqlx::query("INSERT INTO docs (docs) VALUES ('optimize')")
        .execute(&writer)
        .await?;
    writer.close().await;
    let readers = std::thread::available_parallelism().map_or(4, |n| n.get() * 2) as u32;
    Ok(SqlitePoolOptions::new()
        .max_connections(readers)
        .connect_with(options.read_only(true))
        .await?)
}

async fn serve(app: axum::Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .ok();
    });
    Ok(format!("http://{address}"))
}

// ---- Known-item quality: MRR@10 on the relevance set ----

fn reciprocal_rank(found: &[String], expected: &str) -> f64 {
    found
        .iter()
        .take(10)
        .position(|slug| slug == expected)
        .map_or(0.0, |rank| 1.0 / (rank as f64 + 1.0))
}

fn demo_changes() -> anyhow::Result<Vec<Change>> {
    let files: Vec<ArticleFile> = guichet::demo::knowledge::files()
        .into_iter()
        .map(|(name, file)| file.map_err(|e| anyhow::anyhow!("{name}: {e}")))
        .collect::<anyhow::Result<_>>()?;
    changes(&files, 1)
}

fn guichet_mrr(changes: &[Change]) -> anyhow::Result<f64> {
    let index = SearchIndex::in_memory();
    index.apply(changes, None)?;
    let cases = guichet::demo::knowledge::relevance_set();
    let mut total = 0.0;
    for case in &cases {
        let page = index.search(&SearchRequest {
            text: &case.query,
            lang: case.lang,
            kinds: &[],
            product: None,
            area: None,
            audiences: &[Audience::Public, Audience::Customers],
            limit: 10,
            offset: 0,
            mode: Mode::Search,
        })?;
        let found: Vec<String> = page.hits.into_iter().map(|h| h.slug).collect();
        total += reciprocal_rank(&found, &case.expected);
    }
    Ok(total / cases.len() as f64)
}

async fn postgres_mrr(url: &str, changes: &[Change]) -> anyhow::Result<f64> {
    use sqlx::postgres::PgPoolOptions;
    let name = format!("guichet_bench_mrr_{}", std::process::id());
    let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await?;
    let outcome = async {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect(&guichet_store::testing::with_database(url, &name))
            .await?;
        sqlx::query("CREATE TABLE docs (slug TEXT, lang TEXT, config REGCONFIG, tsv TSVECTOR)")
            .execute(&pool)
            .await?;
        for document in changes.iter().flat_map(|c| &c.documents) {
            let config = if document.lang == Language::Fr {
                "french"
            } else {
                "english"
            };
            sqlx::query(
                "INSERT INTO docs VALUES ($1, $2, $3::regconfig, \
                 setweight(to_tsvector($3::regconfig, $4), 'A') || setweight(to_tsvector($3::regconfig, $5), 'B'))",
            )
            .bind(&document.slug)
            .bind(document.lang.code())
            .bind(config)
            .bind(&document.title)
            .bind(&document.body)
            .execute(&pool)
            .await?;
        }
        let cases = guichet::demo::knowledge::relevance_set();
        let mut total = 0.0;
        for case in &cases {
            // Each language with its own configuration; both when the case
            // names none, merged by rank.
            let rows: Vec<(String, f32)> = sqlx::query_as(
                "SELECT slug, ts_rank_cd(tsv, websearch_to_tsquery(config, $1)) AS rank FROM docs \
                 WHERE ($2::text IS NULL OR lang = $2) AND tsv @@ websearch_to_tsquery(config, $1) \
                 ORDER BY rank DESC, slug LIMIT 20",
            )
            .bind(&case.query)
            .bind(case.lang.map(Language::code))
            .fetch_all(&pool)
            .await?;
            let mut found: Vec<String> = Vec::new();
            for (slug, _) in rows {
                if !found.contains(&slug) {
                    found.push(slug);
                }
            }
            total += reciprocal_rank(&found, &case.expected);
        }
        pool.close().await;
        anyhow::Ok(total / cases.len() as f64)
    }
    .await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await?;
    outcome
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let work = tempfile::tempdir()?;

    // The corpus, indexed by Guichet on disk as a server keeps it.
    let started = Instant::now();
    let files = read_corpus(&args.corpus)?;
    let changes = changes(&files, args.copies)?;
    let articles = changes.len();
    let documents: usize = changes.iter().map(|c| c.documents.len()).sum();
    println!(
        "corpus: {} files read, {articles} articles × languages = {documents} documents ({} cop{}) in {:.1} s",
        files.len(),
        args.copies,
        if args.copies == 1 { "y" } else { "ies" },
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let (index, _) = SearchIndex::open(&work.path().join("guichet-index"))?;
    for chunk in changes.chunks(10_000) {
        index.stage(chunk)?;
    }
    index.commit(None)?;
    let indexed = started.elapsed().as_secs_f64();
    index.merge_segments()?;
    println!(
        "guichet: indexed in {indexed:.1} s, segments merged in {:.1} s more",
        started.elapsed().as_secs_f64() - indexed
    );
    let started = Instant::now();
    let fts = fts_database(&work.path().join("fts.db"), &changes).await?;
    println!("fts5: indexed in {:.1} s", started.elapsed().as_secs_f64());

    // Both servers.
    let database = TestDatabase::sqlite();
    let config = Config {
        database_url: DatabaseUrl(database.url.clone()),
        search: SearchConfig::in_memory(),
        ..Config::default()
    };
    let store = guichet::open_store(&config).await?;
    let state_search = guichet_web::knowledge::Search::new(index);
    let state = guichet_web::AppState::with_search(
        store,
        config.support_policy()?,
        config.web_settings(),
        guichet_web::Clock::system(),
        state_search.clone(),
    );
    let guichet_url = serve(guichet_web::app(state)).await?;
    let fts_url = serve(axum::Router::new().route("/search", get(fts_search)).with_state(fts)).await?;

    let queries = queries(&files, args.queries);
    let guichet_paths: Vec<String> = queries
        .iter()
        .map(|(lang, q)| format!("/api/v1/search?lang={}&q={}", lang.code(), encode(q)))
        .collect();
    let fts_paths: Vec<String> = queries
        .iter()
        .map(|(lang, q)| format!("/search?lang={}&q={}", lang.code(), encode(q)))
        .collect();

    // Same answers' shape, and a look at what each finds.
    let client = reqwest::Client::new();
    let mut guichet_found = 0;
    let mut fts_found = 0;
    for (g, f) in guichet_paths.iter().zip(&fts_paths) {
        let g: Value = client.get(format!("{guichet_url}{g}")).send().await?.json().await?;
        let f: Value = client.get(format!("{fts_url}{f}")).send().await?.json().await?;
        guichet_found += usize::from(!g["results"].as_array().is_none_or(Vec::is_empty));
        fts_found += usize::from(!f["results"].as_array().is_none_or(Vec::is_empty));
    }
    println!(
        "{} queries (a few words of a title; a third of the French ones without accents, a quarter with a typo): \
         guichet answers {guichet_found}, fts5 {fts_found}",
        queries.len()
    );

    // The search alone, in process, one query at a time.
    let mut times: Vec<f64> = Vec::new();
    for _ in 0..3 {
        for (lang, q) in &queries {
            let started = Instant::now();
            state_search.index.search(&SearchRequest {
                text: q,
                lang: Some(*lang),
                kinds: &[],
                product: None,
                area: None,
                audiences: &[Audience::Public],
                limit: 10,
                offset: 0,
                mode: Mode::Search,
            })?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "guichet search alone, in process, one at a time: p50 {:.3} ms, p99 {:.3} ms",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
    // The HTTP edge alone: `/healthz` through the same server.
    let edge = wrk(&guichet_url, &["/healthz".to_owned()], &args, work.path())?;

    let guichet = wrk(&guichet_url, &guichet_paths, &args, work.path())?;
    let baseline = wrk(&fts_url, &fts_paths, &args, work.path())?;
    for (name, load) in [
        ("guichet /healthz (edge)", &edge),
        ("guichet /api/v1/search", &guichet),
        ("baseline sqlite fts5", &baseline),
    ] {
        println!(
            "{name:<24} {:>9.0} req/s   p50 {:>7.3} ms   p99 {:>7.3} ms   {}",
            load.requests_per_second, load.p50_ms, load.p99_ms, load.errors
        );
    }
    println!(
        "ratio guichet / fts5: {:.1}× the throughput, p99 {:.1}× lower (targets: ≥ 20×, p99 ≤ 2 ms at {} connections)",
        guichet.requests_per_second / baseline.requests_per_second,
        baseline.p99_ms / guichet.p99_ms,
        args.connections
    );

    // Known-item quality on the demo relevance set.
    let demo = demo_changes()?;
    let ours = guichet_mrr(&demo)?;
    match postgres_mrr(&args.postgres, &demo).await {
        Ok(theirs) => println!(
            "MRR@10 on the relevance set ({} queries): guichet {ours:.3}, postgresql french/english {theirs:.3} (ratio {:.2})",
            guichet::demo::knowledge::relevance_set().len(),
            ours / theirs.max(f64::EPSILON)
        ),
        Err(error) => println!("MRR@10: guichet {ours:.3}; postgresql baseline unavailable: {error}"),
    }
    database.remove().await;
    Ok(())
}
