//! Tests of the 27.007 parsers (`gpp/mod.rs`) on real captured replies (`tests/fixtures/modem/`)
//! and on the edge cases of each field; moved out of `mod.rs` unchanged.

use super::*;

use crate::modem::fixture;

#[test]
fn csq_fixture_top_of_scale() {
    let c = parse_csq(&fixture("csq-lte-quectel-ep06.txt")).unwrap();
    assert_eq!(c.rssi_dbm, Some(-51.0));
    assert!(c.rssi_is_floor);
    assert_eq!(c.ber, None);
    assert_eq!(parse_csq("+CSQ: 99,99").unwrap().rssi_dbm, None);
    assert_eq!(parse_csq("+CSQ: 0,0").unwrap().rssi_dbm, Some(-113.0));
}

#[test]
fn cesq_fixtures() {
    let l = parse_cesq(&fixture("cesq-lte-mm.txt")).unwrap();
    assert_eq!((l.rsrq_db, l.rsrp_dbm), (Some(-10.0), Some(-61.0)));
    assert_eq!((l.rssi_dbm, l.rscp_dbm, l.ecno_db), (None, None, None));
    assert_eq!(l.tech(), Some(Tech::Lte));
    let u = parse_cesq(&fixture("cesq-umts-mm.txt")).unwrap();
    assert_eq!((u.rscp_dbm, u.ecno_db), (Some(-26.0), Some(-4.5)));
    assert_eq!(u.tech(), Some(Tech::Umts));
    let g = parse_cesq(&fixture("cesq-gsm-mm.txt")).unwrap();
    assert_eq!((g.rssi_dbm, g.ber_rxqual), (Some(-101.0), Some(6)));
    assert_eq!(g.tech(), Some(Tech::Gsm));
}

#[test]
fn cesq_nine_fields_nr() {
    // SA: LTE unknown, NR ss_rsrq 60 → −13.5, ss_rsrp 60 → −97, ss_sinr 70 → 11.5.
    let c = parse_cesq("+CESQ: 99,99,255,255,255,255,60,60,70").unwrap();
    assert_eq!(c.ss_rsrq_db, Some(-13.5));
    assert_eq!(c.ss_rsrp_dbm, Some(-97.0));
    assert_eq!(c.ss_sinr_db, Some(11.5));
    assert_eq!(c.tech(), Some(Tech::Nr5gSa));
    let nsa = parse_cesq("+CESQ: 99,99,255,255,20,80,60,60,70").unwrap();
    assert_eq!(nsa.tech(), Some(Tech::Nr5gNsa));
    assert_eq!(
        parse_cesq("+CESQ: 99,99,255,255,255,255").unwrap().tech(),
        None
    );
    assert!(parse_cesq("+CESQ: 1,2").is_err());
}

#[test]
fn registration_fixtures() {
    let r = parse_registration(&fixture("creg2-solicited-huawei-e160g.txt")).unwrap();
    assert_eq!(r.cmd, RegCommand::Creg);
    assert!(r.solicited);
    assert_eq!((r.n, r.stat, r.state), (Some(2), Some(1), Some(Reg::Home)));
    assert_eq!(
        (r.lac.as_deref(), r.ci.as_deref()),
        (Some("8BE3"), Some("2BAF"))
    );
    assert_eq!(r.act, None);

    let r = parse_registration(&fixture(
        "creg2-unsolicited-searching-empty-novatel-xu870.txt",
    ))
    .unwrap();
    assert!(!r.solicited);
    assert_eq!((r.stat, r.state), (Some(2), Some(Reg::Searching)));
    assert_eq!((r.lac, r.ci), (None, None));

    let r = parse_registration(&fixture("cgreg2-solicited-edge-ericsson-f3607gw.txt")).unwrap();
    assert_eq!(r.cmd, RegCommand::Cgreg);
    assert_eq!((r.n, r.state), (Some(2), Some(Reg::Home)));
    assert_eq!(r.lac.as_deref(), Some("8BE3"));
    assert_eq!(r.ci.as_deref(), Some("2B5D"));
    assert_eq!((r.act, r.act_name), (Some(3), Some("gsm-egprs")));

    let r = parse_registration(&fixture("cereg2-solicited-spaces.txt")).unwrap();
    assert_eq!(r.cmd, RegCommand::Cereg);
    assert_eq!((r.n, r.state), (Some(2), Some(Reg::Home)));
    assert_eq!(r.tac.as_deref(), Some("1F00"));
    assert_eq!(r.ci.as_deref(), Some("79D903"));
    assert_eq!(r.act, Some(7));

    let r = parse_registration(&fixture("cereg1-solicited-denied.txt")).unwrap();
    assert_eq!(
        (r.n, r.stat, r.state),
        (Some(1), Some(3), Some(Reg::Denied))
    );
}

#[test]
fn registration_forms() {
    let urc = parse_registration("+CEREG: 1,\"1F00\",\"079D903\",7").unwrap();
    assert!(!urc.solicited);
    assert_eq!(urc.stat, Some(1));
    assert_eq!(urc.tac.as_deref(), Some("1F00"));
    let urc = parse_registration("+CGREG: 5").unwrap();
    assert_eq!(urc.state, Some(Reg::Roaming));
    let sol = parse_registration("+C5GREG: 2,1,\"00A1B2\",\"0123456789\",11").unwrap();
    assert!(sol.solicited);
    assert_eq!(sol.tac.as_deref(), Some("A1B2"));
    assert_eq!(act_tech(sol.act.unwrap()), Some(Tech::Nr5gSa));
    for stat in 0..=11u8 {
        let r = parse_registration(&format!("+CEREG: 2,{stat}")).unwrap();
        assert_eq!(r.state, Reg::from_3gpp_stat(stat));
    }
    // An unquoted hex LAC in a URC.
    let urc = parse_registration("+CREG: 1,8BE3,2BAF,2").unwrap();
    assert!(!urc.solicited);
    assert_eq!(urc.lac.as_deref(), Some("8BE3"));
    assert!(parse_registration("+CREG: x").is_err());
}

#[test]
fn registration_zero_padded_and_novatel_layouts() {
    // ModemManager test_creg2_iridium_solicited: every integer zero-padded, so `001` is
    // the <stat> of a solicited reply, not a LAC.
    let r = parse_registration("+CREG:002,001,\"18d8\",\"ffff\"").unwrap();
    assert!(r.solicited);
    assert_eq!((r.n, r.stat), (Some(2), Some(1)));
    assert_eq!(
        (r.lac.as_deref(), r.ci.as_deref()),
        (Some("18D8"), Some("FFFF"))
    );
    let r = parse_registration("+CGREG:002,0011,\"0f0d\",\"14c3\"").unwrap();
    assert_eq!((r.stat, r.state), (Some(11), Some(Reg::Limited)));
    assert_eq!(r.lac.as_deref(), Some("F0D"));
    // Without padding a four-digit second field is a LAC: test_creg2_no_leading_zeros_unsolicited.
    let r = parse_registration("+CREG: 1,0001,0010,0").unwrap();
    assert!(!r.solicited);
    assert_eq!(
        (r.stat, r.lac.as_deref(), r.act),
        (Some(1), Some("1"), Some(0))
    );
    // Novatel E362: <stat>,<tac>,<rac>,<ci>,<AcT>.
    let r = parse_registration("+CEREG: 2,10, 2CA8, 20 ,B5583D ,7").unwrap();
    assert_eq!(
        (r.tac.as_deref(), r.ci.as_deref()),
        (Some("2CA8"), Some("B5583D"))
    );
    assert_eq!((r.rac.as_deref(), r.act), (Some("20"), Some(7)));
    let r = parse_registration("+CEREG: 1, 1F00, 20 ,79D903 ,7").unwrap();
    assert!(!r.solicited);
    assert_eq!((r.ci.as_deref(), r.act), (Some("79D903"), Some(7)));
    // Standard forms with trailing fields are not mistaken for it.
    let r = parse_registration("+CEREG: 3,1,\"1F00\",\"79D903\",7,0,15").unwrap();
    assert_eq!(
        (r.ci.as_deref(), r.act, r.rac),
        (Some("79D903"), Some(7), None)
    );
    let r = parse_registration("+CEREG: 3,3,,,,0,15").unwrap();
    assert_eq!((r.ci, r.act), (None, None));
    let r = parse_registration("+CEREG: 4,,,,,,\"11100000\",\"11100000\"").unwrap();
    assert_eq!(
        (r.stat, r.state, r.act),
        (Some(4), Some(Reg::Unknown), None)
    );
}

#[test]
fn cops_scan_lists() {
    // ModemManager test_cops_response_tm506: AcT after a premature `)`.
    let l = parse_cops_scan("+COPS: (2,\"\",\"T-Mobile\",\"31026\",0),(2,\"T - Mobile\",\"T - Mobile\",\"310260\"),2),(1,\"AT&T\",\"AT&T\",\"310410\"),0)").unwrap();
    let acts: Vec<_> = l
        .iter()
        .map(|n| (n.stat, n.numeric.as_str(), n.act))
        .collect();
    assert_eq!(
        acts,
        [
            (2, "31026", Some(0)),
            (2, "310260", Some(2)),
            (1, "310410", Some(0))
        ]
    );
    assert_eq!(
        (l[0].long.as_deref(), l[0].short.as_deref()),
        (None, Some("T-Mobile"))
    );
    // Mode and format lists are not networks; a comma inside quotes is not a separator.
    let l = parse_cops_scan("+COPS: (1,\"T-Mobile USA, In\",\"T-Mobile\",\"310260\",0),(1,\"AT&T\",\"AT&T\",\"310410\",0),,(0,1,2,3,4),(0,1,2)").unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l[0].long.as_deref(), Some("T-Mobile USA, In"));
    assert_eq!(l[0].plmn().unwrap().id(), "310-260");
    // Continued on a line of its own (Nokia 2720) or over several +COPS lines (XU870).
    let l = parse_cops_scan(
        "+COPS: (2,\"T - Mobile\",,\"31026\",0),\r\n(1,\"AT&T\",,\"310410\",0),,(0,1,3),(0,2)",
    )
    .unwrap();
    assert_eq!(l.len(), 2);
    assert_eq!(l[1].short, None);
    let l = parse_cops_scan(
        "+COPS: (0,\"A\",\"A\",\"310410\",2)\r\n+COPS: (1,\"T\",\"T\",\"31026\",0)",
    )
    .unwrap();
    assert_eq!(l.len(), 2);
    // UCS2 names (u-blox LARA with +CSCS="UCS2").
    let l = parse_cops_scan("+COPS: (2,\"004D006F007600690073007400610072\",\"004D006F007600690073007400610072\",\"00320031003400300037\",7)").unwrap();
    assert_eq!(
        (l[0].long.as_deref(), l[0].numeric.as_str()),
        (Some("Movistar"), "21407")
    );
    assert_eq!(l[0].tech, Some(Tech::Lte));
    assert!(
        parse_cops_scan("+COPS: (0,1,2,3),(1,2,3,4)")
            .unwrap()
            .is_empty()
    );
    assert!(parse_cops_scan("+COPS: 0,0,\"A\"").is_err());
}

#[test]
fn ucs2_only_when_it_cannot_be_a_name() {
    assert_eq!(decode_text("0056006500720069007A006F006E"), "Verizon");
    assert_eq!(decode_text("CAFE"), "CAFE");
    assert_eq!(decode_text("ACE12345"), "ACE12345");
    assert_eq!(decode_text("Viettel"), "Viettel");
    assert_eq!(
        parse_cops("+COPS: 0,0,\"0056006500720069007A006F006E\",7")
            .unwrap()
            .name(),
        Some("Verizon")
    );
}

#[test]
fn cops_formats() {
    let c = parse_cops(&fixture("cops-manual-lte-mm.txt")).unwrap();
    assert_eq!((c.mode, c.format, c.act), (Some(1), Some(0), Some(7)));
    assert_eq!(c.oper.as_deref(), Some("CHINA MOBILE"));
    assert_eq!(c.name(), Some("CHINA MOBILE"));
    let n = parse_cops("+COPS: 0,2,\"45204\",7").unwrap();
    assert_eq!(n.plmn().unwrap().id(), "452-04");
    let n = parse_cops("+COPS: 0,2,\"310410\",7").unwrap();
    assert_eq!(n.plmn().unwrap().id(), "310-410");
    let s = parse_cops("+COPS: 0,1,\"Viettel\"").unwrap();
    assert_eq!(s.name(), Some("Viettel"));
    assert_eq!(parse_cops("+COPS: 0").unwrap().oper, None);
    assert!(parse_cops("+COPS: (2,\"A\",\"A\",\"45204\",7),,(0-4),(0-2)").is_err());
}

#[test]
fn imsi_home_network() {
    let imsi = parse_imsi("AT+CIMI\r\n452040123456789\r\n\r\nOK\r\n").unwrap();
    assert_eq!(home_plmn_from_imsi(&imsi, None).unwrap().id(), "452-04");
    assert_eq!(
        home_plmn_from_imsi("310410123456789", None).unwrap().id(),
        "310-410"
    );
    let hint = Plmn {
        mcc: "405".into(),
        mnc: "854".into(),
        name: None,
    };
    assert_eq!(
        home_plmn_from_imsi("405854123456789", Some(&hint))
            .unwrap()
            .id(),
        "405-854"
    );
    assert_eq!(
        home_plmn_from_imsi("405854123456789", None).unwrap().id(),
        "405-85"
    );
    assert_eq!(home_plmn_from_imsi("45", None), None);
}

#[test]
fn identifiers() {
    assert_eq!(
        parse_imei("AT+CGSN\r\n862570024875048\r\nOK").as_deref(),
        Some("862570024875048")
    );
    assert_eq!(
        parse_iccid("+CCID: \"89840480000123456789\"\r\nOK").as_deref(),
        Some("89840480000123456789")
    );
    assert_eq!(
        parse_iccid("^ICCID: 98684000000132547698").as_deref(),
        Some("89860400001023456789")
    );
    assert_eq!(
        parse_sim_state("+CPIN: READY\r\nOK").as_deref(),
        Some("ready")
    );
    assert_eq!(parse_sim_state("+CME ERROR: 10").as_deref(), Some("absent"));
    assert_eq!(
        parse_text("AT+CGMM\r\nEC25\r\nOK", "+CGMM").as_deref(),
        Some("EC25")
    );
}
