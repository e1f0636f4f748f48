use super::*;

fn ok(name: &str, args: &str) -> Command {
    parse(name, args).unwrap_or_else(|e| panic!("/{name} {args}: {e:?}"))
}

fn usage(name: &str, args: &str) -> String {
    match parse(name, args) {
        Err(ParseError::Usage(u)) => u,
        other => panic!("/{name} {args}: expected a usage error, got {other:?}"),
    }
}

#[test]
fn simple_commands_and_aliases() {
    assert_eq!(ok("help", ""), Command::Help);
    assert_eq!(ok("start", "payload-from-deep-link"), Command::Help);
    assert_eq!(ok("status", ""), Command::Status);
    assert_eq!(ok("reset", ""), Command::Reset);
    assert_eq!(ok("new", ""), Command::Reset);
    assert_eq!(ok("cancel", ""), Command::Cancel);
    assert_eq!(ok("export", ""), Command::Export);
    assert_eq!(ok("register", ""), Command::Register);
    assert_eq!(ok("model", ""), Command::Model(None));
    assert_eq!(ok("model", "gpt-4o"), Command::Model(Some("gpt-4o".into())));
    assert_eq!(ok("personality", ""), Command::Personality(None));
    assert_eq!(
        ok("persona", "Sage"),
        Command::Personality(Some("Sage".into()))
    );
    assert!(usage("status", "now").contains("no arguments"));
    assert!(usage("model", "a b").contains("/model <name>"));
}

#[test]
fn notes() {
    assert_eq!(
        ok("note", "  I like tea  "),
        Command::Note("I like tea".into())
    );
    assert_eq!(ok("notes", ""), Command::Notes);
    assert_eq!(ok("notes", "CLEAR"), Command::NotesClear);
    assert!(usage("note", "").contains("/note <text>"));
    assert!(usage("notes", "delete all").contains("/notes clear"));
    let long = "é".repeat(MAX_NOTE_CHARS + 1);
    assert!(usage("note", &long).contains(&format!("{}", MAX_NOTE_CHARS + 1)));
    let ok_len = "😀".repeat(MAX_NOTE_CHARS);
    assert_eq!(ok("note", &ok_len), Command::Note(ok_len.clone()));
}

#[test]
fn forget_needs_a_second_step() {
    assert_eq!(ok("forget", ""), Command::Forget { confirm: false });
    assert_eq!(ok("forget", "confirm"), Command::Forget { confirm: true });
    assert!(usage("forget", "everything").contains("/forget confirm"));
}

#[test]
fn heartbeat_arguments() {
    assert_eq!(ok("heartbeat", ""), Command::Heartbeat(HeartbeatArg::Show));
    assert_eq!(ok("heartbeat", "ON"), Command::Heartbeat(HeartbeatArg::On));
    assert_eq!(
        ok("heartbeat", "off"),
        Command::Heartbeat(HeartbeatArg::Off)
    );
    assert_eq!(
        ok("heartbeat", "every 90"),
        Command::Heartbeat(HeartbeatArg::Every(90))
    );
    assert_eq!(
        ok("heartbeat", "every 45min"),
        Command::Heartbeat(HeartbeatArg::Every(45))
    );
    assert_eq!(
        ok("heartbeat", "hours 9-21 europe/berlin"),
        Command::Heartbeat(HeartbeatArg::Hours(
            Window {
                from: 540,
                to: 1260
            },
            Some(Tz::Europe__Berlin)
        ))
    );
    assert_eq!(
        ok("heartbeat", "hours 22-2"),
        Command::Heartbeat(HeartbeatArg::Hours(
            Window {
                from: 1320,
                to: 120
            },
            None
        ))
    );
    assert_eq!(
        ok("heartbeat", "hours any"),
        Command::Heartbeat(HeartbeatArg::AnyTime)
    );
    assert!(usage("heartbeat", "every 0").contains("not a number of minutes"));
    assert!(usage("heartbeat", "every often").contains("not a number of minutes"));
    assert!(usage("heartbeat", "hours 9-21 Mars/Base").contains("time zone"));
    assert!(usage("heartbeat", "hours 25-3").contains("9-21"));
    assert!(usage("heartbeat", "sometimes").contains("/heartbeat on | off"));
}

#[test]
fn admin_commands() {
    assert_eq!(
        ok("admin", "users"),
        Command::Admin(AdminCommand::Users(None))
    );
    assert_eq!(
        ok("admin", "users ada"),
        Command::Admin(AdminCommand::Users(Some("ada".into())))
    );
    assert_eq!(ok("admin", "stats"), Command::Admin(AdminCommand::Stats(7)));
    assert_eq!(
        ok("admin", "stats 30"),
        Command::Admin(AdminCommand::Stats(30))
    );
    assert_eq!(
        ok("admin", "ban telegram:42"),
        Command::Admin(AdminCommand::Ban("telegram:42".into()))
    );
    assert_eq!(
        ok("admin", "APPROVE sim:bob"),
        Command::Admin(AdminCommand::Approve("sim:bob".into()))
    );
    assert_eq!(
        ok("admin", "quota sim:bob requests_per_day 50"),
        Command::Admin(AdminCommand::Quota {
            user: "sim:bob".into(),
            limit: QuotaLimit::RequestsPerDay,
            value: QuotaValue::Max(50.0)
        })
    );
    assert_eq!(
        ok("admin", "quota sim:bob cost_per_month_usd none"),
        Command::Admin(AdminCommand::Quota {
            user: "sim:bob".into(),
            limit: QuotaLimit::CostPerMonthUsd,
            value: QuotaValue::Unlimited
        })
    );
    assert!(usage("admin", "").contains("/admin users"));
    assert!(usage("admin", "stats 0").contains("1 to 366"));
    assert!(usage("admin", "stats 9999").contains("1 to 366"));
    assert!(usage("admin", "ban").contains("/admin ban <id>"));
    assert!(usage("admin", "quota sim:bob speed 5").contains("requests_per_day"));
    assert!(usage("admin", "quota sim:bob max_queued -1").contains("not a limit value"));
    assert!(usage("admin", "quota sim:bob max_queued NaN").contains("not a limit value"));
    assert!(usage("admin", "reboot").contains("/admin quota"));
}

#[test]
fn unknown_commands_are_named_back_clipped() {
    assert_eq!(
        parse("frobnicate", ""),
        Err(ParseError::Unknown("frobnicate".into()))
    );
    let long = "x".repeat(500);
    match parse(&long, "") {
        Err(ParseError::Unknown(n)) => assert_eq!(n.len(), 32),
        other => panic!("{other:?}"),
    }
}

#[test]
fn activate_takes_one_personality_and_deactivate_none() {
    assert_eq!(ok("activate", "Sage"), Command::Activate("Sage".into()));
    assert_eq!(ok("deactivate", ""), Command::Deactivate);
    assert!(usage("activate", "").contains("/activate <personality>"));
    assert!(usage("activate", "Sage Nova").contains("/activate <personality>"));
    assert!(usage("deactivate", "now").contains("no arguments"));
}
