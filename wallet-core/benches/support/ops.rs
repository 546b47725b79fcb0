// The benchmarked operations, shared by the native (criterion) and the browser
// (wasm-bindgen-test's criterion port) harnesses: both expose the same
// `bench_function(name, |b| b.iter(..))` shape, so one macro body serves both and the two
// tables in BENCHMARKS.md time exactly the same code.

macro_rules! wallet_benches {
    ($c:expr) => {{
        use std::hint::black_box;
        use wallet_core::credential_api::{self, Message, MessageBody};
        use wallet_core::jwe;
        use wallet_core::jws::{self, Algorithm, Header};
        use wallet_core::keys::{
            Ed25519PrivateKey, KeyType, P256PrivateKey, PrivateKey, X25519PrivateKey,
        };
        use wallet_core::random::OsRandom;
        use wallet_core::store::{self, KdfParams, Password};

        let c = $c;
        let mut rng = OsRandom;
        let msg = [7u8; 256];

        // Raw signatures.
        let ed = Ed25519PrivateKey::generate(&mut rng).unwrap();
        let ed_pk = ed.public_key();
        let ed_sig = ed.sign(&msg);
        c.bench_function("ed25519 sign (256 B)", |b| b.iter(|| ed.sign(black_box(&msg))));
        c.bench_function("ed25519 verify (256 B)", |b| {
            b.iter(|| ed_pk.verify(black_box(&msg), &ed_sig).unwrap())
        });
        let p = P256PrivateKey::generate(&mut rng).unwrap();
        let p_pk = p.public_key();
        let p_sig = p.sign_es256(&msg);
        c.bench_function("es256 sign (256 B)", |b| b.iter(|| p.sign_es256(black_box(&msg))));
        c.bench_function("es256 verify (256 B)", |b| {
            b.iter(|| p_pk.verify_es256(black_box(&msg), &p_sig).unwrap())
        });

        // JWS compact over a 256-byte payload.
        for (kt, alg, name) in [
            (KeyType::Ed25519, Algorithm::EdDSA, "EdDSA"),
            (KeyType::P256, Algorithm::ES256, "ES256"),
        ] {
            let key = PrivateKey::generate(kt, &mut rng).unwrap();
            let public = key.public_key();
            let header = Header::new(alg);
            let token = jws::sign(&header, &msg, &key).unwrap();
            c.bench_function(&format!("jws {name} sign"), |b| {
                b.iter(|| jws::sign(&header, black_box(&msg), &key).unwrap())
            });
            c.bench_function(&format!("jws {name} verify"), |b| {
                b.iter(|| jws::verify(black_box(&token), &public, &[alg]).unwrap())
            });
        }

        // JWE of a 1 KiB payload to a P-256 key (ECDH-ES+A256KW) and an RSA-2048 key.
        let pt = vec![b'p'; 1024];
        let p256_key = PrivateKey::generate(KeyType::P256, &mut rng).unwrap();
        let rsa_key = wallet_core::jwk::Jwk::from_json(include_str!(
            // Resolved relative to the including file (benches/*.rs).
            "../../tests/vectors/keys/rsa-2048.jwk.json"
        ))
        .unwrap()
        .to_private_key()
        .unwrap();
        for (key, alg, name) in [
            (&p256_key, jwe::KeyManagement::EcdhEsA256Kw, "ECDH-ES+A256KW P-256"),
            (&rsa_key, jwe::KeyManagement::RsaOaep256, "RSA-OAEP-256 2048"),
        ] {
            let public = key.public_key();
            let opts = jwe::EncryptOptions::default();
            let token = jwe::encrypt(&pt, &public, alg, &opts, &mut rng).unwrap();
            c.bench_function(&format!("jwe {name} encrypt (1 KiB)"), |b| {
                b.iter(|| jwe::encrypt(black_box(&pt), &public, alg, &opts, &mut OsRandom).unwrap())
            });
            c.bench_function(&format!("jwe {name} decrypt (1 KiB)"), |b| {
                b.iter(|| jwe::decrypt(black_box(&token), key, &[alg]).unwrap())
            });
        }

        // Credential API session: NaCl box of a ~1 KiB message, both directions.
        let wallet = X25519PrivateKey::generate(&mut rng).unwrap();
        let provider = X25519PrivateKey::generate(&mut rng).unwrap();
        let wallet_uri = "did:key:z6LSwallet#z6LSwallet";
        let provider_uri = "did:key:z6LSprovider#z6LSprovider";
        let body = MessageBody::SubmitCredential(serde_json::json!({ "vp": "x".repeat(900) }));
        let message =
            Message::new(body, "did:key:z6LSwallet", "did:key:z6LSprovider", 0, &mut rng).unwrap();
        let sealed = credential_api::encrypt(
            &message, wallet_uri, &wallet, provider_uri, &provider.public_key(), &mut rng,
        )
        .unwrap();
        c.bench_function("nacl box encrypt (1 KiB message)", |b| {
            b.iter(|| {
                credential_api::encrypt(
                    black_box(&message), wallet_uri, &wallet, provider_uri,
                    &provider.public_key(), &mut OsRandom,
                )
                .unwrap()
            })
        });
        c.bench_function("nacl box decrypt (1 KiB message)", |b| {
            b.iter(|| {
                credential_api::decrypt(
                    black_box(&sealed), &provider, &wallet.public_key(), "did:key:z6LSwallet",
                )
                .unwrap()
            })
        });
        // The same with a precomputed SessionBox per side (its key agreement done once,
        // as a login does), and the cost of building one.
        let at_wallet = credential_api::SessionBox::new(&wallet, &provider.public_key()).unwrap();
        let at_provider = credential_api::SessionBox::new(&provider, &wallet.public_key()).unwrap();
        c.bench_function("nacl box encrypt with a precomputed SessionBox (1 KiB message)", |b| {
            b.iter(|| {
                at_wallet
                    .encrypt(black_box(&message), wallet_uri, provider_uri, &mut OsRandom)
                    .unwrap()
            })
        });
        c.bench_function("nacl box decrypt with a precomputed SessionBox (1 KiB message)", |b| {
            b.iter(|| at_provider.decrypt(black_box(&sealed), "did:key:z6LSwallet").unwrap())
        });
        // The wire form of a presentation-sized envelope (8 KiB of ciphertext, 16 KiB
        // of hex): what every `/api/v1/credentials` call writes and parses.
        let big = MessageBody::SubmitCredential(serde_json::json!({ "vp": "x".repeat(8000) }));
        let big = Message::new(big, "did:key:z6LSwallet", "did:key:z6LSprovider", 0, &mut rng)
            .unwrap();
        let big = at_wallet.encrypt(&big, wallet_uri, provider_uri, &mut rng).unwrap();
        let big_json = big.to_json();
        c.bench_function("envelope to_json (8 KiB ciphertext)", |b| {
            b.iter(|| black_box(&big).to_json())
        });
        c.bench_function("envelope from_json (8 KiB ciphertext)", |b| {
            b.iter(|| credential_api::EncryptedMessage::from_json(black_box(&big_json)).unwrap())
        });
        let provider_pk = provider.public_key();
        c.bench_function("nacl box SessionBox::new (X25519 + HSalsa20)", |b| {
            b.iter(|| credential_api::SessionBox::new(&wallet, black_box(&provider_pk)).unwrap())
        });

        // Wallet store at the default (OWASP minimum) Argon2id parameters, 16 KiB wallet.
        let password = Password::new("correct horse battery staple");
        let wallet_json = vec![b'w'; 16 * 1024];
        let (blob, key) =
            store::seal_new(&wallet_json, &password, KdfParams::default(), &mut rng).unwrap();
        c.bench_function("store unlock (password, Argon2id 19 MiB t=2 p=1)", |b| {
            b.iter(|| {
                store::unlock(black_box(&blob), &password, KdfParams::default(), &mut OsRandom)
                    .unwrap()
            })
        });
        c.bench_function("store unlock (cached key, 16 KiB)", |b| {
            b.iter(|| store::unlock_with_key(black_box(&blob), &key).unwrap())
        });
        c.bench_function("store reseal (cached key, 16 KiB)", |b| {
            b.iter(|| store::reseal(black_box(&blob), &wallet_json, &key, &mut OsRandom).unwrap())
        });

        // Presentations: one eddsa-jcs-2022 credential, Ed25519 holder (did:key).
        {
            use wallet_core::data_integrity::{
                self, Cryptosuite, OfflineResolver, ProofOptions, ProofPurpose,
            };
            use wallet_core::presentation::{
                self as vp, HolderKey, PresentationOptions, TrustList, VerificationPolicy,
            };
            use wallet_core::status_list::StaticStatusLists;
            use wallet_core::vc::{Credential, EmbeddedCredential};

            let did_key = |key: &PrivateKey| {
                let did = wallet_core::did::key::encode(&key.public_key()).unwrap();
                let vm = did.with_fragment(did.method_specific_id()).unwrap();
                (did, vm)
            };
            let issuer = PrivateKey::generate(KeyType::Ed25519, &mut rng).unwrap();
            let holder = PrivateKey::generate(KeyType::Ed25519, &mut rng).unwrap();
            let (issuer_did, issuer_vm) = did_key(&issuer);
            let (holder_did, holder_vm) = did_key(&holder);
            let unsigned = serde_json::json!({
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential", "ExampleIdentityCredential"],
                "issuer": issuer_did.as_str(),
                "validFrom": "2025-01-01T00:00:00Z",
                "credentialSubject": {"id": holder_did.as_str(), "name": "Alice", "birthDate": "1990-01-01"}
            });
            let proof = ProofOptions::new(
                Cryptosuite::EddsaJcs2022, issuer_vm, ProofPurpose::AssertionMethod,
            );
            let signed =
                data_integrity::add_proof(unsigned.as_object().unwrap(), &proof, &issuer).unwrap();
            let credential = Credential::from_map(signed).unwrap();
            let hk = HolderKey { verification_method: &holder_vm, key: &holder };
            let options =
                PresentationOptions::new("challenge-0123456789", "https://provider.example", "2025-06-15T00:00:00Z");
            c.bench_function("vp build+sign (1 eddsa-jcs-2022 credential)", |b| {
                b.iter(|| {
                    vp::build_presentation(
                        &hk, vec![EmbeddedCredential::Json(black_box(credential.clone()))], &options,
                    )
                    .unwrap()
                })
            });
            let text = vp::build_presentation(&hk, vec![EmbeddedCredential::Json(credential)], &options)
                .unwrap()
                .to_json();
            let policy = VerificationPolicy::new(
                "challenge-0123456789", "https://provider.example", 1_750_000_000,
                TrustList::issuers([issuer_did.to_string()]),
            );
            let lists = StaticStatusLists::default();
            c.bench_function("vp verify (1 eddsa-jcs-2022 credential)", |b| {
                b.iter(|| {
                    vp::verify_presentation(black_box(&text), &policy, &OfflineResolver, &lists).unwrap()
                })
            });
        }

        // Presentation Exchange: 1,000 candidates (built once), 3 descriptors.
        {
            use wallet_core::pex::{self, CandidateCredential, PresentationDefinition};

            let kinds = ["IdentityCredential", "EmailCredential", "AddressCredential", "OtherCredential"];
            let candidates: Vec<CandidateCredential> = (0..1000)
                .map(|i| CandidateCredential {
                    id: format!("cred-{i}"),
                    format: "ldp_vc".to_owned(),
                    claims: serde_json::json!({
                        "type": ["VerifiableCredential", kinds[i % kinds.len()]],
                        "issuer": format!("did:example:issuer{}", i % 7),
                        "credentialSubject": {
                            "id": "did:example:holder",
                            "name": format!("Person {i}"),
                            "email": format!("p{i}@example.com"),
                            "age": i % 90,
                            "country": if i % 2 == 0 { "DE" } else { "FR" }
                        }
                    }),
                    selectively_disclosable: None,
                })
                .collect();
            let definition = PresentationDefinition::parse(&serde_json::json!({
                "id": "bench",
                "input_descriptors": [
                    {"id": "identity", "constraints": {"fields": [
                        {"path": ["$.type"], "filter": {"type": "array", "contains": {"const": "IdentityCredential"}}},
                        {"path": ["$.credentialSubject.age"], "filter": {"type": "integer", "minimum": 18}}
                    ]}},
                    {"id": "email", "constraints": {"fields": [
                        {"path": ["$.type"], "filter": {"type": "array", "contains": {"const": "EmailCredential"}}},
                        {"path": ["$.credentialSubject.email"], "filter": {"type": "string", "pattern": "^p[0-9]+@example\\.com$"}}
                    ]}},
                    {"id": "address", "constraints": {"fields": [
                        {"path": ["$.type"], "filter": {"type": "array", "contains": {"const": "AddressCredential"}}},
                        {"path": ["$.credentialSubject.country"], "filter": {"type": "string", "enum": ["DE", "AT"]}}
                    ]}}
                ]
            }).to_string())
            .unwrap();
            c.bench_function("pex select: 1,000 credentials, 3 descriptors", |b| {
                b.iter(|| pex::select(&definition, black_box(&candidates)).unwrap())
            });
        }
    }};
}
