//! `coverage-forwarder`: the ceiling of `bench/collector-throughput.sh`. It stands in the
//! collector's place with none of its work: it subscribes (MQTT 5, QoS 1, persistent session,
//! manual acks, the collector's receive maximum), turns each message into one line without
//! reading it (`forward,topic=<topic> bytes=<payload length> <receive time>`), POSTs batches to
//! the same InfluxDB 1.x `/write`, and acknowledges a batch's messages once InfluxDB stored it,
//! the collector's delivery guarantee. No decoding, validation, placement, log or metrics.
//!
//! Prints `written N` (messages stored so far) on standard output after each batch.
//!
//! Not shipped and not for production: a batch InfluxDB refuses is retried for ever, and a
//! lost connection ends it.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::Parser;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{Packet, Publish};
use rumqttc::v5::{AsyncClient, Event, MqttOptions};
use tokio::sync::mpsc;

#[derive(Parser)]
#[command(
    version,
    about = "Trivial MQTT to InfluxDB forwarder (benchmark reference)."
)]
struct Cli {
    /// Broker host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Broker port.
    #[arg(long, default_value_t = 1883)]
    port: u16,
    /// Client id (persistent session).
    #[arg(long, default_value = "coverage-forwarder")]
    client_id: String,
    /// Topic filter.
    #[arg(long, default_value = "coverage/v1/+/+")]
    filter: String,
    /// InfluxDB 1.x base URL.
    #[arg(long)]
    influx: String,
    /// Database.
    #[arg(long, default_value = "coverage")]
    db: String,
    /// Lines per POST (the collector's default batch).
    #[arg(long, default_value_t = 5000)]
    batch: usize,
    /// Longest wait before a partial batch is written, ms.
    #[arg(long, default_value_t = 100)]
    linger_ms: u64,
    /// MQTT receive maximum (the collector's default).
    #[arg(long, default_value_t = 1000)]
    receive_maximum: u16,
}

/// A batch's body and the messages it acknowledges once stored.
type Batch = (String, Vec<Publish>);

fn main() -> Result<()> {
    let cli = Cli::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> Result<()> {
    coverage_net::tls::ensure_crypto_provider();
    let http = reqwest::Client::builder()
        .build()
        .context("building the HTTP client")?;
    let url = format!("{}/write", cli.influx.trim_end_matches('/'));
    let mut opts = MqttOptions::new(&cli.client_id, &cli.host, cli.port);
    opts.set_clean_start(false)
        .set_manual_acks(true)
        .set_session_expiry_interval(Some(3600))
        .set_receive_maximum(Some(cli.receive_maximum))
        .set_keep_alive(Duration::from_secs(60))
        .set_outgoing_inflight_upper_limit(100);
    let (client, mut eventloop) = AsyncClient::new(opts, usize::from(cli.receive_maximum) + 64);

    // One write at a time, the next batch filling meanwhile (as the collector's sink does).
    let (batch_tx, mut batch_rx) = mpsc::channel::<Batch>(1);
    let (done_tx, mut done_rx) = mpsc::channel::<Vec<Publish>>(2);
    let db = cli.db.clone();
    tokio::spawn(async move {
        let mut written = 0usize;
        while let Some((body, publishes)) = batch_rx.recv().await {
            loop {
                let sent = http
                    .post(&url)
                    .query(&[("db", db.as_str()), ("precision", "ns")])
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => break,
                    Ok(r) => eprintln!("write refused: {}", r.status()),
                    Err(e) => eprintln!("write failed: {e}"),
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            // Progress for the bench (cheaper than asking InfluxDB to count while it writes).
            written += publishes.len();
            println!("written {written}");
            if done_tx.send(publishes).await.is_err() {
                return;
            }
        }
    });

    let cap = usize::from(cli.receive_maximum);
    let mut body = String::new();
    let mut held: Vec<Publish> = Vec::new();
    let mut unacked = 0usize;
    // PUBACKs rumqttc's request channel had no room for: the event loop must keep being polled
    // to send them (awaiting `ack` inside this loop would wait for ever), so they wait here.
    let mut ack_debt: VecDeque<Publish> = VecDeque::new();
    let mut ready: Option<Batch> = None;
    let mut linger = tokio::time::interval(Duration::from_millis(cli.linger_ms.max(1)));
    loop {
        if ready.is_none() && (held.len() >= cli.batch || (!held.is_empty() && unacked >= cap)) {
            ready = Some((std::mem::take(&mut body), std::mem::take(&mut held)));
        }
        while let Some(p) = ack_debt.front() {
            if client.try_ack(p).is_err() {
                break;
            }
            ack_debt.pop_front();
            unacked -= 1;
        }
        tokio::select! {
            ev = eventloop.poll(), if unacked < cap || !ack_debt.is_empty() => match ev {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    client.subscribe(cli.filter.clone(), QoS::AtLeastOnce).await?;
                }
                Ok(Event::Incoming(Packet::Publish(mut p))) => {
                    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
                    body.push_str("forward,topic=");
                    body.push_str(std::str::from_utf8(&p.topic).unwrap_or("invalid"));
                    body.push_str(&format!(" bytes={}i {now}\n", p.payload.len()));
                    p.payload = Default::default();
                    p.topic = Default::default();
                    held.push(p);
                    unacked += 1;
                }
                Ok(_) => {}
                // No reconnect: the acks in hand would belong to a dead connection, and a
                // benchmark run with a fault in it is void anyway.
                Err(e) => return Err(e).context("MQTT connection"),
            },
            permit = batch_tx.reserve(), if ready.is_some() => {
                if let (Ok(permit), Some(b)) = (permit, ready.take()) {
                    permit.send(b);
                }
            }
            _ = linger.tick(), if ready.is_none() && !held.is_empty() => {
                ready = Some((std::mem::take(&mut body), std::mem::take(&mut held)));
            }
            Some(done) = done_rx.recv() => ack_debt.extend(done),
        }
    }
}
