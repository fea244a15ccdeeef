//! What our layers (retry policy, auth layer, typed errors, list streams) cost over a bare tonic
//! client, on the same FlyteAdmin, in the same run, with the two interleaved round by round.
//!
//! ```text
//! cargo bench -p flyte-admin-client --bench unary                    # in-process test kit
//! cargo bench -p flyte-admin-client --bench unary -- --endpoint 127.0.0.1:PORT [--rounds 15] [--calls 2000]
//! ```
//! `scripts/bench.sh` runs it against the standalone test kit together with flytekit's client.
//! Prints one line per RPC and client: the median time per call over the rounds, and the ratio
//! to bare tonic.

use std::time::{Duration, Instant};

use flyte_admin_client::pb::admin;
use flyte_admin_client::pb::service::admin_service_client::AdminServiceClient;
use flyte_admin_client::{AdminClient, ListOptions};
use futures::TryStreamExt;

const PAGE: u32 = 100;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    endpoint: Option<String>,
    rounds: usize,
    calls: usize,
}

fn args() -> BenchResult<Args> {
    let mut out = Args {
        endpoint: None,
        rounds: 15,
        calls: 2000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--endpoint" => out.endpoint = Some(it.next().ok_or("--endpoint needs HOST:PORT")?),
            "--rounds" => out.rounds = it.next().ok_or("--rounds needs N")?.parse()?,
            "--calls" => out.calls = it.next().ok_or("--calls needs N")?.parse()?,
            // cargo bench passes --bench; filters are not used here.
            _ => {}
        }
    }
    Ok(out)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

async fn time<F, Fut>(calls: usize, mut f: F) -> BenchResult<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = BenchResult<()>>,
{
    let start = Instant::now();
    for _ in 0..calls {
        f().await?;
    }
    Ok(start.elapsed() / u32::try_from(calls)?)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let args = args()?;
    let _local;
    let endpoint = match &args.endpoint {
        Some(e) => e.clone(),
        None => {
            let admin = flyte_testkit::TestAdmin::start().await?;
            let e = admin.addr().to_string();
            _local = admin;
            e
        }
    };
    let ours = AdminClient::builder()
        .endpoint(&endpoint)
        .insecure(true)
        .build()?;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{endpoint}"))?
        .connect()
        .await?;
    let bare = AdminServiceClient::new(channel);

    // Both clients warm: connections open, code paths touched.
    for _ in 0..200 {
        ours.version().await?;
        bare.clone()
            .get_version(admin::GetVersionRequest {})
            .await?;
    }

    let mut rows: Vec<(&str, &str, Vec<Duration>)> = vec![
        ("GetVersion", "tonic", vec![]),
        ("GetVersion", "flyte-admin-client", vec![]),
        ("ListProjects", "tonic", vec![]),
        ("ListProjects", "flyte-admin-client", vec![]),
    ];
    for round in 0..args.rounds {
        // Alternate who goes first so drift in the machine's load falls on both.
        let order: [usize; 4] = if round % 2 == 0 {
            [0, 1, 2, 3]
        } else {
            [1, 0, 3, 2]
        };
        for i in order {
            let d = match i {
                0 => {
                    time(args.calls, || {
                        let mut c = bare.clone();
                        async move {
                            c.get_version(admin::GetVersionRequest {}).await?;
                            Ok(())
                        }
                    })
                    .await?
                }
                1 => {
                    time(args.calls, || async {
                        ours.version().await?;
                        Ok(())
                    })
                    .await?
                }
                2 => {
                    time(args.calls, || {
                        let mut c = bare.clone();
                        async move {
                            c.list_projects(admin::ProjectListRequest {
                                limit: PAGE,
                                ..Default::default()
                            })
                            .await?;
                            Ok(())
                        }
                    })
                    .await?
                }
                _ => {
                    time(args.calls, || async {
                        let _: Vec<admin::Project> = ours
                            .list_projects(&ListOptions::new().page_size(PAGE))
                            .try_collect()
                            .await?;
                        Ok(())
                    })
                    .await?
                }
            };
            rows[i].2.push(d);
        }
    }
    println!(
        "endpoint {endpoint}, {} rounds x {} calls, median per call",
        args.rounds, args.calls
    );
    let medians: Vec<Duration> = rows.iter().map(|r| median(r.2.clone())).collect();
    for (i, (rpc, client, _)) in rows.iter().enumerate() {
        let base = medians[i - i % 2];
        println!(
            "{rpc:<14} {client:<20} {:>9.1} us  x{:.3} of tonic",
            medians[i].as_secs_f64() * 1e6,
            medians[i].as_secs_f64() / base.as_secs_f64()
        );
    }
    Ok(())
}
