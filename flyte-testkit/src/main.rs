//! The standalone test kit: an in-process FlyteAdmin you can point flytectl, pyflyte or any
//! FlyteAdmin client at.
//!
//! ```text
//! cargo run -p flyte-testkit -- serve [--port 30080] [--http-port N]
//!     [--auth self | --auth external --issuer URL [--audience A]]
//!     [--client ID:SECRET] [--latency-ms N] [--fault-rate R --seed S] [--storage DIR] [--run-ms N]
//!     [--run-ms-random MIN:MAX [--seed S]] [--dynamic TASK=CHILD,CHILD...] [--state FILE --storage DIR]
//! ```
//!
//! With `--state FILE` (and `--storage DIR` for blobs) it can be killed and started again on the
//! same ports with nothing a client wrote lost: see "Guide: restarts" in the crate docs.

use std::process::ExitCode;
use std::time::Duration;

use flyte_testkit::{AuthSettings, Executors, TestAdmin};

const USAGE: &str = "usage: flyte-testkit serve [--port P] [--http-port P] [--auth self|external] [--issuer URL] [--audience A] [--client ID:SECRET] [--latency-ms N] [--fault-rate R] [--seed S] [--storage DIR] [--run-ms N] [--run-ms-random MIN:MAX] [--dynamic TASK=CHILD,...] [--state FILE]

Serves an in-process FlyteAdmin on 127.0.0.1 until interrupted. GET /testkit/calls on the
HTTP port answers the gRPC calls received per method since start, as JSON.
  --port P          gRPC port (default: a free one)
  --http-port P     HTTP port for signed URLs and OAuth2 (default: a free one)
  --auth self       turn on FlyteAdmin's own authorization server (default: auth off)
  --auth external   trust the issuer at --issuer URL (http, e.g. a local OIDC server);
                    tokens must carry --audience A when given; --public-client ID,
                    --redirect-uri URI and --scopes \"a b\" set the advertised public client
  --client ID:SECRET  a confidential client for client credentials (with --auth self)
  --latency-ms N    add N ms to every gRPC call
  --fault-rate R    answer a fraction R of calls with UNAVAILABLE (with --seed S, default 1)
  --storage DIR     keep blobs in DIR instead of memory
  --run-ms N        executions run N ms before succeeding (default 0)
  --run-ms-random MIN:MAX
                    executions run from MIN to MAX ms before succeeding, drawn for each
                    from its name and --seed S (default 1): a batch ends spread over the span
  --dynamic TASK=CHILD,CHILD
                    run task TASK as a @dynamic task whose generated workflow calls the
                    tasks CHILD, ... (names in TASK's project, domain and version); repeatable
  --state FILE      keep every write that succeeds in FILE and replay it at start, so the
                    server can be killed and started again (same --port) with its state;
                    needs --storage DIR for blobs; timestamps, tokens and signed URLs are
                    new after a restart and executions run again from their start";

#[derive(Debug, Default)]
struct Options {
    port: u16,
    http_port: u16,
    auth: bool,
    issuer: Option<String>,
    audience: Option<String>,
    public_client: Option<String>,
    redirect_uri: Option<String>,
    scopes: Option<String>,
    clients: Vec<(String, String)>,
    latency_ms: u64,
    fault_rate: f64,
    seed: u64,
    storage: Option<String>,
    run_ms: u64,
    run_ms_random: Option<(u64, u64)>,
    dynamic: Vec<(String, Vec<String>)>,
    state: Option<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        seed: 1,
        ..Options::default()
    };
    let mut it = args.iter();
    match it.next().map(String::as_str) {
        Some("serve") => {}
        Some("-h" | "--help") | None => return Err(String::new()),
        Some(other) => return Err(format!("unknown command {other:?}; expected serve")),
    }
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} expects a whole number, got {v:?}"))
        };
        match flag.as_str() {
            "--port" => {
                o.port = u16::try_from(number(value()?)?)
                    .map_err(|_| "--port is at most 65535".to_owned())?
            }
            "--http-port" => {
                o.http_port = u16::try_from(number(value()?)?)
                    .map_err(|_| "--http-port is at most 65535".to_owned())?
            }
            "--auth" => match value()?.as_str() {
                "self" => o.auth = true,
                "off" => o.auth = false,
                "external" => o.issuer = o.issuer.take().or_else(|| Some(String::new())),
                other => return Err(format!("--auth takes self or off, got {other:?}")),
            },
            "--client" => {
                let v = value()?;
                let (id, secret) = v.split_once(':').ok_or("--client takes ID:SECRET")?;
                o.clients.push((id.to_owned(), secret.to_owned()));
            }
            "--issuer" => o.issuer = Some(value()?),
            "--audience" => o.audience = Some(value()?),
            "--public-client" => o.public_client = Some(value()?),
            "--redirect-uri" => o.redirect_uri = Some(value()?),
            "--scopes" => o.scopes = Some(value()?),
            "--latency-ms" => o.latency_ms = number(value()?)?,
            "--fault-rate" => {
                let v = value()?;
                o.fault_rate = v
                    .parse::<f64>()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| {
                        format!("--fault-rate expects a number from 0 to 1, got {v:?}")
                    })?;
            }
            "--seed" => o.seed = number(value()?)?,
            "--storage" => o.storage = Some(value()?),
            "--run-ms" => o.run_ms = number(value()?)?,
            "--run-ms-random" => {
                let v = value()?;
                let span = v
                    .split_once(':')
                    .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
                    .filter(|(min, max)| min <= max);
                o.run_ms_random = Some(span.ok_or_else(|| {
                    format!("--run-ms-random takes MIN:MAX in ms with MIN <= MAX, got {v:?}")
                })?);
            }
            "--state" => o.state = Some(value()?),
            "--dynamic" => {
                let v = value()?;
                let (task, children) = v
                    .split_once('=')
                    .filter(|(t, _)| !t.is_empty())
                    .ok_or_else(|| format!("--dynamic takes TASK=CHILD,CHILD..., got {v:?}"))?;
                let children = children
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect();
                o.dynamic.push((task.to_owned(), children));
            }
            other => return Err(format!("unknown flag {other:?}")),
        }
    }
    if o.issuer.as_deref() == Some("") {
        return Err("--auth external needs --issuer URL".into());
    }
    if o.auth && o.issuer.is_some() {
        return Err("choose one of --auth self and --auth external".into());
    }
    if o.state.is_some() && o.storage.is_none() {
        // Blobs in memory would vanish with the process while the state that names them stays.
        return Err("--state needs --storage DIR, so that blobs survive a restart too".into());
    }
    Ok(o)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let mut builder = TestAdmin::builder()
        .port(options.port)
        .http_port(options.http_port)
        .latency(Duration::from_millis(options.latency_ms))
        .executor(match options.run_ms_random {
            Some((min, max)) => Executors::succeed_between(
                Duration::from_millis(min),
                Duration::from_millis(max),
                options.seed,
            ),
            None => Executors::succeed_after(Duration::from_millis(options.run_ms)),
        });
    if options.auth {
        let mut settings = AuthSettings::default();
        for (id, secret) in options.clients {
            settings = settings.client(id, secret);
        }
        builder = builder.auth(settings);
    }
    if let Some(issuer) = options.issuer {
        let mut external = flyte_testkit::ExternalAuth::new(issuer);
        if let Some(audience) = options.audience {
            external = external.audience(audience);
        }
        if let Some(id) = options.public_client {
            external = external.public_client_id(id);
        }
        if let Some(uri) = options.redirect_uri {
            external = external.redirect_uri(uri);
        }
        if let Some(scopes) = options.scopes {
            external = external.scopes(scopes.split_whitespace().map(str::to_owned));
        }
        builder = builder.external_auth(external);
    }
    if options.fault_rate > 0.0 {
        builder = builder.random_faults(options.fault_rate, options.seed);
    }
    if let Some(dir) = options.storage {
        builder = builder.storage_dir(dir);
    }
    if let Some(file) = options.state {
        builder = builder.state_file(file);
    }
    for (task, children) in options.dynamic {
        builder = builder.dynamic_task(task, children);
    }
    let admin = match builder.start().await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("flyte-testkit listening on {}", admin.addr());
    println!("flyte-testkit http on {}", admin.http_endpoint());
    println!("flyte-testkit config:\n{}", admin.config_yaml());
    wait_for_interrupt().await;
    admin.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_interrupt() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn flags() -> Result<(), String> {
        let o = parse(&args("serve --port 30080 --auth self --client a:b --latency-ms 5 --fault-rate 0.1 --seed 7 --run-ms 20"))?;
        assert_eq!(
            (o.port, o.auth, o.latency_ms, o.seed, o.run_ms),
            (30080, true, 5, 7, 20)
        );
        assert_eq!(o.clients, [("a".to_owned(), "b".to_owned())]);
        assert!((o.fault_rate - 0.1).abs() < 1e-9);
        Ok(())
    }

    #[test]
    fn bad_flags_say_what_is_wrong() {
        let err = |s: &str| parse(&args(s)).expect_err(s);
        assert_eq!(
            err("serve --port x"),
            "--port expects a whole number, got \"x\""
        );
        assert_eq!(err("serve --port 70000"), "--port is at most 65535");
        for bad in ["5", "9:2", "a:9"] {
            assert_eq!(
                err(&format!("serve --run-ms-random {bad}")),
                format!("--run-ms-random takes MIN:MAX in ms with MIN <= MAX, got {bad:?}")
            );
        }
        let o = parse(&args("serve --run-ms-random 1000:21000 --seed 3")).unwrap_or_default();
        assert_eq!((o.run_ms_random, o.seed), (Some((1000, 21000)), 3));
        assert_eq!(
            err("serve --fault-rate 2"),
            "--fault-rate expects a number from 0 to 1, got \"2\""
        );
        assert_eq!(err("serve --bogus"), "unknown flag \"--bogus\"");
        assert_eq!(
            err("serve --dynamic fan"),
            "--dynamic takes TASK=CHILD,CHILD..., got \"fan\""
        );
        let o =
            parse(&args("serve --dynamic m.fan=m.sq,m.sq --dynamic m.none=")).unwrap_or_default();
        assert_eq!(
            o.dynamic,
            [
                (
                    "m.fan".to_owned(),
                    vec!["m.sq".to_owned(), "m.sq".to_owned()]
                ),
                ("m.none".to_owned(), Vec::new())
            ]
        );
        assert_eq!(err("serve --port"), "--port needs a value");
        assert_eq!(
            err("serve --auth external"),
            "--auth external needs --issuer URL"
        );
        assert_eq!(
            err("serve --auth self --issuer http://x"),
            "choose one of --auth self and --auth external"
        );
        let o = parse(&args(
            "serve --auth external --issuer http://127.0.0.1:9 --audience flyte",
        ))
        .unwrap_or_default();
        assert_eq!(
            (o.issuer.as_deref(), o.audience.as_deref()),
            (Some("http://127.0.0.1:9"), Some("flyte"))
        );
        assert_eq!(err("launch"), "unknown command \"launch\"; expected serve");
        assert_eq!(
            err("serve --state s.journal"),
            "--state needs --storage DIR, so that blobs survive a restart too"
        );
        let o = parse(&args("serve --state s.journal --storage blobs")).unwrap_or_default();
        assert_eq!(o.state.as_deref(), Some("s.journal"));
    }
}
