//! Patrol sessions on the phone: start, pause, resume and stop; GPS fixes
//! filtered into sealed track chunks; GPX import; the patrol's figures.

use rusqlite::{Connection, OptionalExtension, params};

use super::FieldStore;
use crate::error::{Error, Result};
use crate::patrol::codec::{self, Quantised};
use crate::patrol::filter::{self, FilterConfig, FilterState, RejectReason, TravelMode};
use crate::patrol::fix::{Fix, StoredFix, flags};
use crate::patrol::session::{
    IngestReport, PatrolInfo, PatrolState, PendingChunk, RejectedFix, SEAL_AFTER_FIXES,
    SEAL_AFTER_MS, now_ms, state_error,
};
use crate::patrol::{authenticity, gpx};
use crate::records::{BreakKind, PatrolEntry, PatrolLog, TrackBreak};

impl FieldStore {
    /// Starts a patrol of `grid_code` by the signed-in worker. Creates its log
    /// document; returns the patrol id.
    pub fn start_patrol(&self, grid_code: &str, purpose: &str, mode: TravelMode) -> Result<String> {
        let worker = self.signed_in_user()?;
        let at = now_ms();
        let log = PatrolLog {
            grid_code: grid_code.to_owned(),
            worker_id: worker.clone(),
            purpose: purpose.to_owned(),
            started_at: at / 1000,
            travel_mode: mode,
            entries: Vec::new(),
            breaks: Vec::new(),
        };
        let id = self.create(&log)?;
        self.write(|tx| {
            tx.execute(
                "INSERT INTO patrols (id, grid_code, worker_id, purpose, travel_mode, state, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6)",
                params![id, grid_code, worker, purpose, mode.as_str(), at],
            )?;
            tx.execute("INSERT INTO patrol_events (patrol, at_ms, kind) VALUES (?1, ?2, 'start')", params![id, at])?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Pauses an active patrol (fixes are refused until it resumes).
    pub fn pause_patrol(&self, id: &str) -> Result<()> {
        self.move_patrol(id, PatrolState::Active, "paused", "pause")
    }

    /// Resumes a paused patrol; the pause goes into its log, where the server's
    /// review reads it.
    pub fn resume_patrol(&self, id: &str) -> Result<()> {
        self.move_patrol(id, PatrolState::Paused, "active", "resume")?;
        self.log_pause_ended(id)
    }

    /// Writes the pause that just ended (by a resume or a stop) into the log.
    fn log_pause_ended(&self, id: &str) -> Result<()> {
        if let Some(&(from_ms, to_ms)) = self.paused_intervals(id)?.last() {
            self.update::<PatrolLog>(id, |log| {
                let known = log.breaks.iter().any(|b| b.from_ms == from_ms);
                if !known {
                    log.breaks.push(TrackBreak {
                        from_ms,
                        to_ms,
                        kind: BreakKind::Paused,
                    });
                }
            })?;
        }
        Ok(())
    }

    /// Stops a patrol and seals the rest of its track into a chunk.
    pub fn stop_patrol(&self, id: &str) -> Result<PatrolInfo> {
        let was_paused = self.patrol(id)?.state == PatrolState::Paused;
        let info = self.stop_patrol_now(id)?;
        if was_paused {
            self.log_pause_ended(id)?;
        }
        Ok(info)
    }

    fn stop_patrol_now(&self, id: &str) -> Result<PatrolInfo> {
        let at = now_ms();
        self.write(|tx| {
            let p = patrol_row(tx, id)?;
            if p.state == PatrolState::Stopped {
                return Err(state_error(id, p.state, "stop"));
            }
            seal(tx, id)?;
            tx.execute(
                "UPDATE patrols SET state = 'stopped', stopped_at = ?2 WHERE id = ?1",
                params![id, at],
            )?;
            tx.execute(
                "INSERT INTO patrol_events (patrol, at_ms, kind) VALUES (?1, ?2, 'stop')",
                params![id, at],
            )?;
            patrol_row(tx, id)
        })
    }

    fn move_patrol(&self, id: &str, from: PatrolState, to: &str, action: &str) -> Result<()> {
        let at = now_ms();
        self.write(|tx| {
            let p = patrol_row(tx, id)?;
            if p.state != from {
                return Err(state_error(id, p.state, action));
            }
            tx.execute(
                "UPDATE patrols SET state = ?2 WHERE id = ?1",
                params![id, to],
            )?;
            tx.execute(
                "INSERT INTO patrol_events (patrol, at_ms, kind) VALUES (?1, ?2, ?3)",
                params![id, at, action],
            )?;
            Ok(())
        })
    }

    /// A patrol's current state and counts.
    pub fn patrol(&self, id: &str) -> Result<PatrolInfo> {
        patrol_row(&self.conn(), id)
    }

    /// Runs the authenticity checks on a patrol, against the same worker's patrols
    /// of the last 30 days.
    pub fn check_patrol(&self, id: &str) -> Result<Vec<crate::patrol::Finding>> {
        let info = self.patrol(id)?;
        let track = self.track(id)?;
        let (backwards, skew): (i64, i64) = self.conn().query_row(
            "SELECT clock_backwards, max_clock_skew_ms FROM patrols WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let paused = self.paused_intervals(id)?;
        let month_ago = info.started_at_ms - 30 * 86_400_000;
        let mut earlier = Vec::new();
        for p in self.patrols_of(&info.worker_id)? {
            // Ids are UUIDv7: they sort by creation, finer than the start second.
            if p.id.as_str() < id && p.started_at_ms >= month_ago {
                earlier.push((p.id.clone(), self.track(&p.id)?));
            }
        }
        Ok(authenticity::check(
            &track,
            &crate::patrol::CheckContext {
                mode: info.travel_mode,
                clock_backwards: backwards as u64,
                max_clock_skew_ms: skew,
                paused: &paused,
                earlier: &earlier,
            },
        ))
    }

    /// A patrol's paused intervals `(from, to)`, unix ms.
    fn paused_intervals(&self, id: &str) -> Result<Vec<(i64, i64)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT at_ms, kind FROM patrol_events WHERE patrol = ?1 ORDER BY at_ms",
        )?;
        let events: Vec<(i64, String)> = stmt
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        let mut since = None;
        for (at, kind) in events {
            match kind.as_str() {
                "pause" => since = Some(at),
                "resume" | "stop" => {
                    if let Some(p) = since.take() {
                        out.push((p, at));
                    }
                }
                _ => {}
            }
        }
        if let Some(p) = since {
            out.push((p, i64::MAX));
        }
        Ok(out)
    }

    /// Imports a recorded GPX track as a finished patrol of the signed-in worker:
    /// its points pass the same filters as live fixes. Times must carry a zone
    /// (see [`FieldStore::import_gpx_with`]). Nothing is stored if the file is not
    /// a usable GPX track.
    pub fn import_gpx(
        &self,
        grid_code: &str,
        purpose: &str,
        mode: TravelMode,
        xml: &str,
    ) -> Result<(String, IngestReport)> {
        self.import_gpx_with(grid_code, purpose, mode, xml, &gpx::GpxOptions::default())
    }

    /// [`FieldStore::import_gpx`] reading zone-less times as `options` says. Points
    /// that cannot be placed in time are skipped and counted in the report; each
    /// `<trkseg>` is ingested on its own, and the figures never join segments
    /// further apart in time than their gap setting.
    pub fn import_gpx_with(
        &self,
        grid_code: &str,
        purpose: &str,
        mode: TravelMode,
        xml: &str,
        options: &gpx::GpxOptions,
    ) -> Result<(String, IngestReport)> {
        let track = gpx::parse_gpx_with(xml, options)?;
        let id = self.start_patrol(grid_code, purpose, mode)?;
        let mut total = IngestReport {
            skipped_untimed: track.skipped_untimed as u64,
            ..IngestReport::default()
        };
        let mut bounds = track.segment_starts.clone();
        bounds.push(track.fixes.len());
        let segments = bounds.windows(2).map(|w| &track.fixes[w[0]..w[1]]);
        let mut index = 0;
        for segment in segments {
            for batch in segment.chunks(1_000) {
                let r = self.ingest_fixes(&id, batch)?;
                total.accepted += r.accepted;
                total.jitter += r.jitter;
                total.jumps += r.jumps;
                total.mocked += r.mocked;
                total.sealed += r.sealed;
                total
                    .rejected
                    .extend(r.rejected.into_iter().map(|x| RejectedFix {
                        index: x.index + index,
                        ..x
                    }));
                index += batch.len();
            }
        }
        // Where one segment ends and the next begins the recording stopped: the
        // figures must not draw a line there, however short the gap.
        let breaks: Vec<TrackBreak> = track
            .segment_starts
            .iter()
            .filter(|&&i| i > 0 && i < track.fixes.len())
            .map(|&i| TrackBreak {
                from_ms: track.fixes[i - 1].time_ms,
                to_ms: track.fixes[i].time_ms,
                kind: BreakKind::SignalLost,
            })
            .collect();
        if !breaks.is_empty() {
            self.update::<PatrolLog>(&id, |log| log.breaks.extend(breaks))?;
        }
        self.stop_patrol(&id)?;
        Ok((id, total))
    }

    /// A worker's patrols, newest first.
    pub fn patrols_of(&self, worker_id: &str) -> Result<Vec<PatrolInfo>> {
        let conn = self.conn();
        let ids: Vec<String> = conn
            .prepare_cached(
                "SELECT id FROM patrols WHERE worker_id = ?1 ORDER BY started_at DESC, id DESC",
            )?
            .query_map([worker_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| patrol_row(&conn, id)).collect()
    }

    /// Appends an entry (note, check-in, photo, incident link) to a patrol's log.
    pub fn add_patrol_entry(&self, id: &str, entry: PatrolEntry) -> Result<PatrolLog> {
        self.update::<PatrolLog>(id, |log| log.entries.push(entry))
    }

    /// Ingests a batch of fixes from the location service, in one transaction.
    /// Impossible fixes are refused with reasons; jitter, jumps and mocked fixes are
    /// kept and flagged. Every accepted fix is on disk when this returns.
    pub fn ingest_fixes(&self, id: &str, fixes: &[Fix]) -> Result<IngestReport> {
        self.ingest_fixes_with(id, fixes, &FilterConfig::default())
    }

    /// [`FieldStore::ingest_fixes`] with other filter thresholds.
    pub fn ingest_fixes_with(
        &self,
        id: &str,
        fixes: &[Fix],
        config: &FilterConfig,
    ) -> Result<IngestReport> {
        self.write(|tx| {
            let row = tx
                .query_row(
                    "SELECT state, travel_mode, next_seq, last_time_ms, anchor_time_ms, anchor_lat_e6,
                            anchor_lon_e6 FROM patrols WHERE id = ?1",
                    [id],
                    |r| {
                        Ok(IngestRow {
                            state: r.get(0)?,
                            mode: r.get(1)?,
                            next_seq: r.get(2)?,
                            last: r.get(3)?,
                            anchor: (r.get(4)?, r.get(5)?, r.get(6)?),
                        })
                    },
                )
                .optional()?
                .ok_or_else(|| Error::NotFound { id: id.to_owned() })?;
            let IngestRow { state, mode, next_seq, last, anchor: (anchor_t, anchor_lat, anchor_lon) } = row;
            let mut report = IngestReport {
                first_seq: next_seq as u64,
                ..IngestReport::default()
            };
            if PatrolState::parse(&state) != PatrolState::Active {
                report.rejected = (0..fixes.len())
                    .map(|index| RejectedFix { index, reason: RejectReason::PatrolNotActive })
                    .collect();
                return Ok(report);
            }
            let mode = TravelMode::parse(&mode);
            let mut filter_state = FilterState {
                last_time_ms: last,
                anchor: match (anchor_t, anchor_lat, anchor_lon) {
                    (Some(t), Some(a), Some(o)) => Some((t, a as f64 / 1e6, o as f64 / 1e6)),
                    _ => None,
                },
            };
            let mut seq = next_seq;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO track_open_fixes (patrol, seq, time_ms, lat_e6, lon_e6, accuracy_m,
                        altitude_m, speed_cms, bearing_dd, provider, flags)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )?;
                for (index, fix) in fixes.iter().enumerate() {
                    match filter::judge(&mut filter_state, fix, mode, config) {
                        Err(reason) => report.rejected.push(RejectedFix { index, reason }),
                        Ok(f) => {
                            let q = Quantised::from_fix(fix, f);
                            insert.execute(params![
                                id,
                                seq,
                                q.time_ms,
                                q.lat_e6,
                                q.lon_e6,
                                q.accuracy_m,
                                q.altitude_m,
                                q.speed_cms,
                                q.bearing_dd,
                                q.provider,
                                q.flags
                            ])?;
                            seq += 1;
                            report.accepted += 1;
                            report.jitter += u64::from(f & flags::JITTER != 0);
                            report.jumps += u64::from(f & flags::JUMP != 0);
                            report.mocked += u64::from(f & flags::MOCK != 0);
                        }
                    }
                }
            }
            let anchor = filter_state.anchor;
            let backwards = report
                .rejected
                .iter()
                .filter(|r| r.reason == RejectReason::TimeNotAdvancing)
                .count() as i64;
            let device_ms = now_ms();
            // Fixes ahead of the phone's clock: the clock was set back (GPS time is
            // satellite time). Fixes behind it are only a late batch.
            let skew = fixes
                .iter()
                .map(|f| f.time_ms - device_ms)
                .max()
                .unwrap_or(0)
                .max(0);
            tx.execute(
                "UPDATE patrols SET next_seq = ?2, last_time_ms = ?3, anchor_time_ms = ?4,
                        anchor_lat_e6 = ?5, anchor_lon_e6 = ?6,
                        clock_backwards = clock_backwards + ?7,
                        max_clock_skew_ms = max(max_clock_skew_ms, ?8) WHERE id = ?1",
                params![
                    id,
                    seq,
                    filter_state.last_time_ms,
                    anchor.map(|a| a.0),
                    anchor.map(|a| (a.1 * 1e6).round() as i64),
                    anchor.map(|a| (a.2 * 1e6).round() as i64),
                    backwards,
                    skew
                ],
            )?;
            let (open, first_ms, last_ms): (i64, Option<i64>, Option<i64>) = tx.query_row(
                "SELECT count(*), min(time_ms), max(time_ms) FROM track_open_fixes WHERE patrol = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            if open >= SEAL_AFTER_FIXES || last_ms.zip(first_ms).is_some_and(|(l, f)| l - f >= SEAL_AFTER_MS) {
                report.sealed += u64::from(seal(tx, id)?);
            }
            Ok(report)
        })
    }

    /// Sealed track chunks the server has not confirmed, oldest first.
    pub fn pending_track_chunks(&self, limit: usize) -> Result<Vec<PendingChunk>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT c.patrol, c.chunk, c.bytes, p.clock_backwards, p.max_clock_skew_ms
             FROM track_chunks c JOIN patrols p ON p.id = c.patrol
             WHERE c.uploaded = 0 ORDER BY p.started_at, c.patrol, c.chunk LIMIT ?1",
        )?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok(PendingChunk {
                    patrol: r.get(0)?,
                    chunk: r.get::<_, i64>(1)? as u64,
                    bytes: r.get(2)?,
                    clock_backwards: r.get::<_, i64>(3)? as u64,
                    max_clock_skew_ms: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Notes that the server confirmed a chunk.
    pub fn mark_track_chunk_uploaded(&self, patrol: &str, chunk: u64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE track_chunks SET uploaded = 1 WHERE patrol = ?1 AND chunk = ?2",
                params![patrol, chunk as i64],
            )?;
            Ok(())
        })
    }

    /// The signed-in worker's latest position on a running patrol, to send live
    /// (`None` when no patrol runs, or its latest fix is older than
    /// `max_age_ms` before `now_ms`: a phone that lost its fix says nothing).
    pub fn live_position(
        &self,
        now_ms: i64,
        max_age_ms: i64,
    ) -> Result<Option<crate::protocol::PositionUpdate>> {
        let Some(user) = self.current_user() else {
            return Err(Error::NotSignedIn);
        };
        let conn = self.conn();
        let running: Option<(String, String)> = conn
            .query_row(
                "SELECT id, grid_code FROM patrols WHERE worker_id = ?1 AND state = 'active'
                 ORDER BY started_at DESC LIMIT 1",
                [&user],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((patrol, grid)) = running else {
            return Ok(None);
        };
        let open: Option<(i64, i64, i64, i64)> = conn
            .query_row(
                "SELECT time_ms, lat_e6, lon_e6, accuracy_m FROM track_open_fixes
                 WHERE patrol = ?1 ORDER BY seq DESC LIMIT 1",
                [&patrol],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let latest = match open {
            Some(f) => Some(f),
            None => {
                let last: Option<Vec<u8>> = conn
                    .query_row(
                        "SELECT bytes FROM track_chunks WHERE patrol = ?1 ORDER BY chunk DESC LIMIT 1",
                        [&patrol],
                        |r| r.get(0),
                    )
                    .optional()?;
                match last {
                    Some(bytes) => codec::decode(&bytes)
                        .map_err(|e| Error::Corrupt {
                            path: self.path().to_owned(),
                            detail: format!("a stored track chunk of patrol {patrol}: {e}"),
                        })?
                        .1
                        .last()
                        .map(|q| (q.time_ms, q.lat_e6, q.lon_e6, q.accuracy_m)),
                    None => None,
                }
            }
        };
        Ok(latest
            .filter(|(t, ..)| now_ms - t <= max_age_ms)
            .map(|(t, lat, lon, acc)| crate::protocol::PositionUpdate {
                at: t / 1000,
                lat_e6: lat as i32,
                lon_e6: lon as i32,
                accuracy_m: acc.clamp(0, i64::from(u16::MAX)) as u16,
                grid,
            }))
    }

    /// Every accepted fix of a patrol, in order: sealed chunks, then open fixes.
    pub fn track(&self, id: &str) -> Result<Vec<StoredFix>> {
        let conn = self.conn();
        patrol_row(&conn, id)?;
        let mut out = Vec::new();
        let mut stmt =
            conn.prepare_cached("SELECT bytes FROM track_chunks WHERE patrol = ?1 ORDER BY chunk")?;
        let chunks: Vec<Vec<u8>> = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for chunk in chunks {
            let (first, fixes) = codec::decode(&chunk).map_err(|e| Error::Corrupt {
                path: self.path().to_owned(),
                detail: format!("a stored track chunk of patrol {id}: {e}"),
            })?;
            out.extend(
                fixes
                    .into_iter()
                    .enumerate()
                    .map(|(i, q)| q.to_stored(first + i as u64)),
            );
        }
        out.extend(
            open_fixes(&conn, id)?
                .into_iter()
                .map(|(seq, q)| q.to_stored(seq)),
        );
        Ok(out)
    }
}

fn patrol_row(conn: &Connection, id: &str) -> Result<PatrolInfo> {
    conn.query_row(
        "SELECT id, grid_code, worker_id, purpose, travel_mode, state, started_at, stopped_at,
                next_seq, chunks FROM patrols WHERE id = ?1",
        [id],
        |r| {
            Ok(PatrolInfo {
                id: r.get(0)?,
                grid_code: r.get(1)?,
                worker_id: r.get(2)?,
                purpose: r.get(3)?,
                travel_mode: TravelMode::parse(&r.get::<_, String>(4)?),
                state: PatrolState::parse(&r.get::<_, String>(5)?),
                started_at_ms: r.get(6)?,
                stopped_at_ms: r.get(7)?,
                fixes: r.get::<_, i64>(8)? as u64,
                chunks: r.get::<_, i64>(9)? as u64,
            })
        },
    )
    .optional()?
    .ok_or_else(|| Error::NotFound { id: id.to_owned() })
}

/// A patrol's state as ingestion needs it.
struct IngestRow {
    state: String,
    mode: String,
    next_seq: i64,
    last: Option<i64>,
    anchor: (Option<i64>, Option<i64>, Option<i64>),
}

fn open_fixes(conn: &Connection, id: &str) -> Result<Vec<(u64, Quantised)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, time_ms, lat_e6, lon_e6, accuracy_m, altitude_m, speed_cms, bearing_dd,
                provider, flags
         FROM track_open_fixes WHERE patrol = ?1 ORDER BY seq",
    )?;
    let rows = stmt
        .query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                Quantised {
                    time_ms: r.get(1)?,
                    lat_e6: r.get(2)?,
                    lon_e6: r.get(3)?,
                    accuracy_m: r.get(4)?,
                    altitude_m: r.get(5)?,
                    speed_cms: r.get(6)?,
                    bearing_dd: r.get(7)?,
                    provider: r.get(8)?,
                    flags: r.get(9)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Seals a patrol's open fixes into its next chunk. Returns whether a chunk was made.
fn seal(conn: &Connection, id: &str) -> Result<bool> {
    let open = open_fixes(conn, id)?;
    let (Some(first), Some(last)) = (open.first(), open.last()) else {
        return Ok(false);
    };
    let (first_seq, first_ms, last_ms) = (first.0, first.1.time_ms, last.1.time_ms);
    let fixes: Vec<Quantised> = open.iter().map(|(_, q)| *q).collect();
    let bytes = codec::encode(first_seq, &fixes);
    conn.execute(
        "INSERT INTO track_chunks (patrol, chunk, first_seq, fixes, first_ms, last_ms, bytes)
         SELECT ?1, chunks, ?2, ?3, ?4, ?5, ?6 FROM patrols WHERE id = ?1",
        params![
            id,
            first_seq as i64,
            fixes.len() as i64,
            first_ms,
            last_ms,
            bytes
        ],
    )?;
    conn.execute("UPDATE patrols SET chunks = chunks + 1 WHERE id = ?1", [id])?;
    conn.execute("DELETE FROM track_open_fixes WHERE patrol = ?1", [id])?;
    Ok(true)
}
