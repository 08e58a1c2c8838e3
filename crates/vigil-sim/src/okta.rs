//! Okta System Log events, shaped as the System Log API (`/api/v1/logs`) returns them.

use crate::company::{APPS, Company, UAS, Ua, User, Vendor, okta_request_id};
use crate::emit::{Emitter, Sink};
use crate::geo::{Net, net_json};
use crate::json::{J, obj};
use crate::util::{R, Ts, b62, fmt_ts, uuid};

#[derive(Clone, Copy)]
pub(crate) struct Actor<'a> {
    pub id: &'a str,
    pub kind: &'static str,
    pub alt: &'a str,
    pub display: &'a str,
}

impl<'a> Actor<'a> {
    pub(crate) fn user(u: &'a User) -> Actor<'a> {
        Actor { id: &u.okta_id, kind: "User", alt: &u.email, display: &u.name }
    }
    pub(crate) fn vendor(v: &'a Vendor) -> Actor<'a> {
        Actor { id: &v.okta_id, kind: "User", alt: &v.email, display: &v.display }
    }
    pub(crate) fn client_app(v: &'a Vendor) -> Actor<'a> {
        Actor { id: &v.app.id, kind: "PublicClientApp", alt: &v.app.id, display: v.app.name }
    }
    fn json(&self) -> J<'a> {
        obj! {"id": self.id, "type": self.kind, "alternateId": self.alt, "displayName": self.display, "detailEntry": J::Null}
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Client<'a> {
    pub ua: &'static Ua,
    pub net: Net,
    pub device: &'static str,
    pub id: Option<&'a str>,
}

impl<'a> Client<'a> {
    pub(crate) fn browser(ua: usize, net: Net) -> Client<'a> {
        Client { ua: &UAS[ua], net, device: "Computer", id: None }
    }
    pub(crate) fn api(ua: usize, net: Net, client_id: &'a str) -> Client<'a> {
        Client { ua: &UAS[ua], net, device: "Unknown", id: Some(client_id) }
    }
}

pub(crate) fn t_user(u: &User) -> J<'_> {
    obj! {"id": &u.okta_id, "type": "User", "alternateId": &u.email, "displayName": &u.name, "detailEntry": J::Null}
}

pub(crate) fn t_vendor(v: &Vendor) -> J<'_> {
    obj! {"id": &v.okta_id, "type": "User", "alternateId": &v.email, "displayName": &v.display, "detailEntry": J::Null}
}

pub(crate) fn t_app(co: &Company, app: usize) -> J<'_> {
    obj! {
        "id": &co.app_ids[app],
        "type": "AppInstance",
        "alternateId": APPS[app].0,
        "displayName": APPS[app].0,
        "detailEntry": obj!{"signOnModeType": if app == crate::company::APP_OKTA_ADMIN { "OPENID_CONNECT" } else { "SAML_2_0" }},
    }
}

pub(crate) fn t_app_user<'a>(rng: &R, email: &'a str, name: &'a str) -> J<'a> {
    obj! {"id": format!("0ua{}", b62(rng, 17)), "type": "AppUser", "alternateId": email, "displayName": name, "detailEntry": J::Null}
}

pub(crate) fn t_group(co: &Company, g: usize) -> J<'_> {
    let gr = &co.groups[g];
    obj! {"id": &gr.id, "type": "UserGroup", "alternateId": "unknown", "displayName": &gr.name, "detailEntry": J::Null}
}

fn meta(etype: &str, result: &str) -> (&'static str, Option<&'static str>, &'static str) {
    let ok = result == "SUCCESS" || result == "ALLOW";
    match etype {
        "user.session.start" => {
            if ok {
                ("User login to Okta", Some("core.user_auth.login_success"), "INFO")
            } else {
                ("User login to Okta", Some("core.user_auth.login_failed"), "WARN")
            }
        }
        "user.authentication.sso" => ("User single sign on to app", Some("app.auth.sso"), "INFO"),
        "user.authentication.auth_via_mfa" => {
            if ok {
                ("Authentication of user via MFA", Some("core.user.factor.attempt_success"), "INFO")
            } else {
                ("Authentication of user via MFA", Some("core.user.factor.attempt_fail"), "WARN")
            }
        }
        "user.authentication.verify" => ("Verify user identity", None, if ok { "INFO" } else { "WARN" }),
        "system.push.send_factor_verify_push" => ("A push was sent to the user's Okta Verify", None, "INFO"),
        "user.mfa.okta_verify.deny_push" => ("User rejected Okta push verify", None, "WARN"),
        "user.session.end" => ("User logout from Okta", Some("core.user_auth.logout_success"), "INFO"),
        "user.account.lock" => ("Max sign in attempts exceeded", Some("core.user_auth.account_locked"), "WARN"),
        "user.lifecycle.activate" => ("Activate Okta user", Some("core.user.config.user_activated"), "INFO"),
        "user.lifecycle.deactivate" => ("Deactivate Okta user", Some("core.user.config.user_deactivated"), "INFO"),
        "user.lifecycle.suspend" => ("Suspend Okta user", Some("core.user.config.user_status.suspended"), "INFO"),
        "user.lifecycle.unsuspend" => ("Unsuspend Okta user", Some("core.user.config.user_status.unsuspended"), "INFO"),
        "user.account.update_password" => {
            ("User update password for Okta", Some("core.user.config.password_update.success"), "INFO")
        }
        "user.mfa.factor.activate" => ("Activate factor for user", Some("core.user.factor.activate"), "INFO"),
        "group.user_membership.add" => {
            ("Add user to group membership", Some("core.user_group_member.user_add"), "INFO")
        }
        "application.user_membership.add" => {
            ("Add user to application membership", Some("app.generic.provision.assign_user_to_app"), "INFO")
        }
        "app.oauth2.as.token.grant" => ("OAuth2 access token is granted", None, if ok { "INFO" } else { "WARN" }),
        _ => ("Okta event", None, "INFO"),
    }
}

/// One Okta event; `new` gives the common defaults, fields are then adjusted.
pub(crate) struct OktaEv<'a> {
    pub ts: i64,
    pub etype: &'static str,
    pub actor: Actor<'a>,
    pub client: Client<'a>,
    pub result: &'static str,
    pub reason: Option<&'static str>,
    pub targets: Option<Vec<J<'a>>>,
    pub session: Option<&'a str>,
    pub auth_provider: Option<&'static str>,
    pub cred_provider: Option<&'static str>,
    pub cred_type: Option<&'static str>,
    pub step: u32,
    pub request_uri: String,
    pub debug: Vec<(&'static str, J<'a>)>,
    pub transaction: &'static str,
}

impl<'a> OktaEv<'a> {
    pub(crate) fn new(ts: i64, etype: &'static str, actor: Actor<'a>, client: Client<'a>) -> OktaEv<'a> {
        let (auth_provider, cred_provider, cred_type, uri) = match etype {
            "user.session.start" => (
                Some("OKTA_AUTHENTICATION_PROVIDER"),
                Some("OKTA_CREDENTIAL_PROVIDER"),
                Some("PASSWORD"),
                "/idp/idx/identify",
            ),
            "user.authentication.verify" => (
                Some("OKTA_AUTHENTICATION_PROVIDER"),
                Some("OKTA_CREDENTIAL_PROVIDER"),
                Some("PASSWORD"),
                "/idp/idx/challenge/answer",
            ),
            "user.authentication.auth_via_mfa" => {
                (Some("FACTOR_PROVIDER"), Some("OKTA_CREDENTIAL_PROVIDER"), Some("OTP"), "/idp/idx/authenticators/poll")
            }
            "system.push.send_factor_verify_push" => {
                (Some("FACTOR_PROVIDER"), Some("OKTA_CREDENTIAL_PROVIDER"), None, "/idp/idx/challenge")
            }
            "user.mfa.okta_verify.deny_push" => {
                (Some("FACTOR_PROVIDER"), Some("OKTA_CREDENTIAL_PROVIDER"), None, "/idp/idx/authenticators/poll")
            }
            "user.session.end" => (None, None, None, "/login/signout"),
            "app.oauth2.as.token.grant" => (None, None, Some("OAUTH2"), "/oauth2/v1/token"),
            _ => (None, None, None, "/api/v1/users"),
        };
        OktaEv {
            ts,
            etype,
            actor,
            client,
            result: "SUCCESS",
            reason: None,
            targets: None,
            session: None,
            auth_provider,
            cred_provider,
            cred_type,
            step: 0,
            request_uri: uri.to_string(),
            debug: Vec::new(),
            transaction: "WEB",
        }
    }

    /// Adds a `debugContext.debugData` field.
    pub(crate) fn dbg(&mut self, key: &'static str, v: impl Into<J<'a>>) {
        self.debug.push((key, v.into()));
    }

    pub(crate) fn emit(self, rng: &R, em: &mut Emitter) {
        let (display, legacy, mut severity) = meta(self.etype, self.result);
        if self.result == "FAILURE" || self.result == "DENY" {
            severity = "WARN";
        }
        let req_id = okta_request_id(rng);
        let c = self.client;
        let client = obj! {
            "userAgent": obj!{"rawUserAgent": c.ua.raw, "os": c.ua.os, "browser": c.ua.browser},
            "zone": "null",
            "device": c.device,
            "id": c.id,
            "ipAddress": c.net.ip_s(),
            "geographicalContext": c.net.okta_geo(),
        };
        let mut debug = obj! {
            "requestId": req_id.clone(),
            "requestUri": self.request_uri.clone(),
            "url": format!("{}?", self.request_uri),
            "threatSuspected": "false",
        };
        for (k, v) in self.debug {
            debug.push(k, v);
        }
        let ev = obj! {
            "actor": self.actor.json(),
            "client": client,
            "device": J::Null,
            "authenticationContext": obj!{
                "authenticationProvider": self.auth_provider,
                "credentialProvider": self.cred_provider,
                "credentialType": self.cred_type,
                "issuer": J::Null,
                "interface": J::Null,
                "authenticationStep": self.step,
                "externalSessionId": self.session.unwrap_or("unknown"),
            },
            "displayMessage": display,
            "eventType": self.etype,
            "outcome": obj!{"result": self.result, "reason": self.reason},
            "published": fmt_ts(self.ts, Ts::Millis),
            "securityContext": c.net.okta_security(),
            "severity": severity,
            "debugContext": obj!{"debugData": debug},
            "legacyEventType": legacy,
            "transaction": obj!{"type": self.transaction, "id": req_id, "detail": obj!{}},
            "uuid": uuid(rng),
            "version": "0",
            "request": obj!{"ipChain": vec![net_json(&c.net)]},
            "target": self.targets.map(J::Arr),
        };
        em.emit(self.ts, Sink::Okta, &ev);
    }
}

/// Okta's risk/behavior summary in `debugData` for a sign-in.
pub(crate) fn behaviors(new_geo: bool, new_device: bool, new_ip: bool, velocity: bool) -> String {
    let p = |b: bool| if b { "POSITIVE" } else { "NEGATIVE" };
    format!(
        "{{New Geo-Location={}, New Device={}, New IP={}, New State={}, New Country={}, Velocity={}, New City={}}}",
        p(new_geo),
        p(new_device),
        p(new_ip),
        p(new_geo),
        p(new_geo),
        p(velocity),
        p(new_geo)
    )
}

/// A fresh Okta session id (`externalSessionId`).
pub(crate) fn session_id(rng: &R) -> String {
    format!("102{}", b62(rng, 22))
}

/// Device-trust hash Okta puts in `debugData.dtHash`.
pub(crate) fn dt_hash(rng: &R) -> String {
    crate::util::hex(rng, 64)
}
