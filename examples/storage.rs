//! Lists, reads, writes and removes objects in Flyte's blob storage, addressed by the URIs
//! Flyte writes: the tool to reach for when a deployment reports "storage errors".
//!
//! ```text
//! cargo run --example storage -- [--config FILE] ls s3://my-s3-bucket/metadata/
//! cargo run --example storage -- get s3://my-s3-bucket/data/model.bin ./model.bin
//! cargo run --example storage -- put ./model.bin s3://my-s3-bucket/data/model.bin
//! cargo run --example storage -- cat s3://my-s3-bucket/metadata/.../outputs.pb   # a LiteralMap as JSON
//! cargo run --example storage -- rm s3://my-s3-bucket/data/model.bin
//! ```
//! The store comes from the config's `storage` section (`--config FILE`, else flytectl's
//! search order): S3 or MinIO (`type: s3|minio`), GCS (`stow.kind: google`), Azure
//! (`stow.kind: azure`, `abfs://container/key`), local or in-memory.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use flyte_config::ConfigLoader;
use flyte_examples::{exit, out, outln};
use flyte_storage::FlyteStorage;
use futures::TryStreamExt;

#[derive(Parser, Debug)]
#[command(
    name = "storage",
    about = "List, read, write and remove objects in Flyte's blob storage"
)]
struct Cli {
    /// Config file (default: flytectl's search: $FLYTECTL_CONFIG, ~/.flyte/config.yaml, ...).
    #[arg(short, long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Objects under a prefix, with their sizes.
    Ls {
        /// Prefix URI.
        uri: String,
    },
    /// Download an object to a file.
    Get {
        /// Object URI.
        uri: String,
        /// Destination file.
        path: PathBuf,
    },
    /// Upload a file (in parts when large).
    Put {
        /// Source file.
        path: PathBuf,
        /// Object URI.
        uri: String,
    },
    /// Print an object: `.pb` files as a LiteralMap in JSON, anything else as text.
    Cat {
        /// Object URI.
        uri: String,
    },
    /// Remove an object.
    Rm {
        /// Object URI.
        uri: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    exit(run(Cli::parse()).await)
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let config = ConfigLoader::new().maybe_path(cli.config).load()?;
    let storage = FlyteStorage::from_config(&config.storage)?;
    match cli.command {
        Command::Ls { uri } => {
            let mut objects = storage.list(&uri);
            while let Some(o) = objects.try_next().await? {
                outln!("{:>12}  {}", o.size, o.uri);
            }
        }
        Command::Get { uri, path } => {
            let n = storage.get_file(&uri, &path).await?;
            outln!("{n} bytes to {}", path.display());
        }
        Command::Put { path, uri } => {
            let n = storage.put_file(&uri, &path).await?;
            outln!("{n} bytes to {uri}");
        }
        Command::Cat { uri } => {
            if uri.ends_with(".pb") {
                let map = storage.read_literal_map(&uri).await?;
                let json = flyte_admin_client::literals::literal_map_to_json(&map);
                outln!("{}", serde_json::to_string_pretty(&json)?);
            } else {
                let bytes = storage.get(&uri).await?;
                match std::str::from_utf8(&bytes) {
                    Ok(text) => out!("{text}"),
                    Err(_) => {
                        return Err(
                            format!("{uri}: {} bytes of binary data; use get", bytes.len()).into(),
                        )
                    }
                }
            }
        }
        Command::Rm { uri } => {
            storage.delete(&uri).await?;
            outln!("removed {uri}");
        }
    }
    Ok(())
}
