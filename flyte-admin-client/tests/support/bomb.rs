//! Gzip bombs: small `.tgz` files whose tar inside is gigabytes of zeros, made without
//! compressing (or holding) the gigabytes. Shared by `tests/archive.rs` and
//! `benches/archive_memory.rs`.
//!
//! Deflate with a sync flush after each tar entry ends every entry on a byte boundary, and an
//! entry of at least 32 KiB of zeros leaves the decoder's window all zeros: the second entry's
//! compressed bytes therefore decode to the same entry after any entry, and are repeated. The
//! result is a valid gzip file (its CRC combined from the entry's), which `tar xzf` would expand
//! in full; `the_bomb_builder_makes_a_valid_gzip_of_what_it_says` checks that.

use flate2::{Compress, Compression, Crc, FlushCompress};

type BombResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A tar header for a regular file `name` of `size` bytes.
fn header(name: &str, size: u64) -> BombResult<[u8; 512]> {
    typed_header(name, size, tar::EntryType::Regular)
}

/// A tar header of `kind` for `name` of `size` bytes.
fn typed_header(name: &str, size: u64, kind: tar::EntryType) -> BombResult<[u8; 512]> {
    let mut h = tar::Header::new_gnu();
    h.set_path(name)?;
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(kind);
    h.set_cksum();
    let mut out = [0u8; 512];
    out.copy_from_slice(h.as_bytes());
    Ok(out)
}

/// Compresses `data` and flushes to a byte boundary, in one call: the output has room for
/// deflate's worst case, so the flush is never split.
fn deflate(c: &mut Compress, data: &[u8], flush: FlushCompress) -> BombResult<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 8 + 1024);
    let start = c.total_in();
    let status = c.compress_vec(data, &mut out, flush)?;
    if c.total_in() - start != data.len() as u64 || out.len() == out.capacity() {
        return Err(format!("deflate stopped early ({status:?})").into());
    }
    Ok(out)
}

/// A gzip stream of `first`, then `unit` `repeats` times, then the tar end (1024 zeros);
/// `unit` must be at least 32 KiB and end with 32 KiB of zeros, as must `first`.
fn repeat_gzip(first: &[u8], unit: &[u8], repeats: usize) -> BombResult<Vec<u8>> {
    let mut c = Compress::new(Compression::best(), false);
    let first_z = deflate(&mut c, first, FlushCompress::Sync)?;
    let unit_z = deflate(&mut c, unit, FlushCompress::Sync)?;
    let end = [0u8; 1024];
    let end_z = deflate(&mut c, &end, FlushCompress::Finish)?;

    let mut crc = Crc::new();
    crc.update(first);
    let mut unit_crc = Crc::new();
    unit_crc.update(unit);
    for _ in 0..repeats {
        crc.combine(&unit_crc);
    }
    crc.update(&end);

    // Gzip header: magic, deflate, no flags, no time, no extra flags, unknown OS.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&first_z);
    for _ in 0..repeats {
        out.extend_from_slice(&unit_z);
    }
    out.extend_from_slice(&end_z);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    Ok(out)
}

/// A `.tgz` of `entries` files named `name`, each `entry_bytes` zeros (a multiple of 512, at
/// least 64 KiB).
///
/// # Errors
/// The compressor's.
pub(crate) fn gzip_bomb(name: &str, entry_bytes: u64, entries: usize) -> BombResult<Vec<u8>> {
    assert!(entries >= 1 && entry_bytes % 512 == 0 && entry_bytes >= 64 * 1024);
    let mut unit = header(name, entry_bytes)?.to_vec();
    unit.resize(512 + usize::try_from(entry_bytes)?, 0);
    repeat_gzip(&unit, &unit, entries - 1)
}

/// A `.tgz` of one file `name` of `mib` MiB of zeros.
///
/// # Errors
/// The compressor's.
pub(crate) fn huge_entry_bomb(name: &str, mib: u64) -> BombResult<Vec<u8>> {
    huge_bomb(name, mib, tar::EntryType::Regular)
}

/// A `.tgz` that opens with a GNU long-name entry of `mib` MiB of zeros: tar readers hold a long
/// name whole before they hand out the entry it names.
///
/// # Errors
/// The compressor's.
#[allow(dead_code)] // Used by tests/archive.rs, not by the benchmark.
pub(crate) fn long_name_bomb(mib: u64) -> BombResult<Vec<u8>> {
    huge_bomb("././@LongLink", mib, tar::EntryType::GNULongName)
}

fn huge_bomb(name: &str, mib: u64, kind: tar::EntryType) -> BombResult<Vec<u8>> {
    assert!(mib >= 1);
    let zeros = vec![0u8; 1024 * 1024];
    let mut first = typed_header(name, mib * 1024 * 1024, kind)?.to_vec();
    first.extend_from_slice(&zeros);
    repeat_gzip(&first, &zeros, usize::try_from(mib - 1)?)
}
