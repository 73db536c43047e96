// list/settings: every per-list setting with good and bad values, size
// suffixes, defaults, and the typed view the pipeline reads.
#include <boost/test/unit_test.hpp>
#include <list/settings.hpp>
#include <set>
#include <string>

namespace {

struct Good {
  std::string name;
  std::string value;
  std::string canonical;
};

const Good k_good[] = {
    {"posting",            "members",           "members"           },
    {"posting",            "moderated",         "moderated"         },
    {"posting",            "announce",          "announce"          },
    {"posting",            "open",              "open"              },
    {"require_signature",  "yes",               "yes"               },
    {"require_signature",  "no",                "no"                },
    {"require_encryption", "yes",               "yes"               },
    {"require_encryption", "no",                "no"                },
    {"keyless_members",    "notify",            "notify"            },
    {"keyless_members",    "plaintext",         "plaintext"         },
    {"keyless_members",    "skip",              "skip"              },
    {"subscription",       "open",              "open"              },
    {"subscription",       "approval",          "approval"          },
    {"subscription",       "closed",            "closed"            },
    {"deliver_self",       "yes",               "yes"               },
    {"deliver_self",       "no",                "no"                },
    {"subject_prefix",     "[Crew]",            "[Crew]"            },
    {"subject_prefix",     "",                  ""                  },
    {"subject_prefix",     "[\xc3\x89quipe]\t", "[\xc3\x89quipe]\t" },
    {"subject_prefix",     std::string(100,     'p'),                 std::string(100, 'p')},
    {"keep_message_id",                "no",                                   "no"                                      },
    {"keep_message_id",                "yes", "yes"},
    {"max_message_size",               "0",                                  "0"                                                                      },
    {"max_message_size",                 "12345",   "12345"},
    {"max_message_size",             "10K",                              "10240"                                                                                                 },
    {"max_message_size",             "10k",   "10240"},
    {"max_message_size",             "25M",                              "26214400"                                                                                                                            },
    {"max_message_size",          "25m","26214400"},
    {"max_message_size",          "1024M",                              "1073741824"                                                                                                                                                          },
    {"max_message_size",        "1048576K","1073741824"},
    {"max_message_size",        "1073741824",                              "1073741824"                                                                                                                                                                                          },
    {"reply_to",        "list","list"},
    {"reply_to",              "sender",                                    "sender"                                                                                                                                                                                                                                },
    {"reply_to",            "none","none"},
};

struct Bad {
  std::string name;
  std::string value;
};

const Bad k_bad[] = {
    {"posting",                  "everyone"     },
    {"posting",                  "Members"      },
    {"posting",                  ""             },
    {"posting",                  "members|open" },
    {"posting",                  "members "     },
    {"require_signature",        "true"         },
    {"require_signature",        "YES"          },
    {"require_signature",        "1"            },
    {"require_encryption",       "y"            },
    {"require_encryption",       ""             },
    {"keyless_members",          "drop"         },
    {"subscription",             "invite"       },
    {"deliver_self",             "no please"    },
    {"keep_message_id",          "maybe"        },
    {"subject_prefix",           std::string(101, 'p')},
    {"subject_prefix",                          "[Crew]\r\nBcc: x@evil.org"                         },
    {"subject_prefix",                          "[Crew]\n"},
    {"subject_prefix",                          "[Crew]\r"                         },
    {"subject_prefix",                          std::string("[Cr\0ew]", 7)},
    {"subject_prefix",                        "[Crew]\x1b[31m"                                      },
    {"subject_prefix","[Crew]\x7f"},
    {"max_message_size",                            ""                                                                               },
    {"max_message_size","K"},
    {"max_message_size",                           "-1"                                                                                                             },
    {"max_message_size","+1"},
    {"max_message_size",                           "1.5M"                                                                                                                                            },
    {"max_message_size","10G"},
    {"max_message_size",                            "10KB"                                                                                                                                                                              },
    {"max_message_size"," 10"},
    {"max_message_size",                             "10 "                                                                                                                                                                                                                  },
    {"max_message_size","0x10"},
    {"max_message_size",                            "1025M"                                                                                                                                                                                                                                                     },
    {"max_message_size","1048577K"},
    {"max_message_size",                         "1073741825"                                                                                                                                                                                                                                                                                      },
    {"max_message_size","99999999999999999999999"},
    {"no_such_setting",            "yes"                                                                                                                                                                                                                                                                                                            },
    {"",          "yes"},
    {"reply_to",            "List"                                                                                                                                                                                                                                                                                                              },
    {"reply_to",         "author"},
    {"reply_to",          ""                                                                                                                                                                                                                                                                                                               },
    {"reply_to",               "list|sender"},
    {"Posting","open"                                                                                                                                                                                                                                                                                               },
};

} // namespace

BOOST_AUTO_TEST_SUITE(settings)

BOOST_AUTO_TEST_CASE(good_values_are_accepted_in_canonical_form) {
  for (const Good& row : k_good) {
    BOOST_TEST_CONTEXT(row.name << " = '" << row.value << "'") {
      auto checked = list::validate_setting(row.name, row.value);
      BOOST_REQUIRE_MESSAGE(checked, checked.error().message);
      BOOST_TEST(*checked == row.canonical);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_values_are_refused_naming_the_setting_or_value) {
  for (const Bad& row : k_bad) {
    BOOST_TEST_CONTEXT(row.name << " = '" << row.value << "'") {
      auto checked = list::validate_setting(row.name, row.value);
      BOOST_TEST(!checked.has_value());
      if (!checked) {
        BOOST_TEST((checked.error().severity == util::Severity::permanent));
        const std::string& message = checked.error().message;
        const bool names_it =
            message.find(row.name.empty() ? "setting" : row.name) != std::string::npos ||
            message.find("size") != std::string::npos;
        BOOST_TEST(names_it, message);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_setting_lists_the_known_ones) {
  auto checked = list::validate_setting("colour", "blue");
  BOOST_REQUIRE(!checked);
  for (const list::SettingSpec& spec : list::setting_specs()) {
    BOOST_TEST(checked.error().message.find(spec.name) != std::string::npos, spec.name);
  }
}

BOOST_AUTO_TEST_CASE(every_setting_is_tested_and_its_default_is_valid) {
  std::set<std::string> tested_good;
  std::set<std::string> tested_bad;
  for (const Good& row : k_good) {
    tested_good.insert(row.name);
  }
  for (const Bad& row : k_bad) {
    tested_bad.insert(row.name);
  }
  for (const list::SettingSpec& spec : list::setting_specs()) {
    const std::string name(spec.name);
    BOOST_TEST(tested_good.count(name) == 1u, name);
    BOOST_TEST(tested_bad.count(name) == 1u, name);
    auto default_ok = list::validate_setting(spec.name, spec.default_value);
    BOOST_TEST(default_ok.has_value(), name);
    BOOST_TEST(!spec.description.empty());
  }
}

BOOST_AUTO_TEST_CASE(effective_settings_fill_defaults_under_stored_values) {
  list::SettingMap stored{
      {"posting",        "open"  },
      {"subject_prefix", "[Crew]"}
  };
  const list::SettingMap effective = list::effective_settings(stored);
  BOOST_TEST(effective.size() == list::setting_specs().size());
  BOOST_TEST(effective.at("posting") == "open");
  BOOST_TEST(effective.at("subject_prefix") == "[Crew]");
  BOOST_TEST(effective.at("subscription") == "approval");
  BOOST_TEST(effective.at("deliver_self") == "yes");
}

BOOST_AUTO_TEST_CASE(typed_defaults) {
  const list::ListSettings typed = list::typed_settings({});
  BOOST_TEST((typed.posting == list::Posting::members));
  BOOST_TEST(!typed.require_signature);
  BOOST_TEST(!typed.require_encryption);
  BOOST_TEST((typed.keyless_members == list::KeylessMembers::notify));
  BOOST_TEST((typed.subscription == list::Subscription::approval));
  BOOST_TEST(typed.deliver_self);
  BOOST_TEST(typed.subject_prefix.empty());
  BOOST_TEST(!typed.keep_message_id);
  BOOST_TEST(typed.max_message_size == 0u);
  BOOST_TEST((typed.reply_to == list::ReplyTo::list));
}

BOOST_AUTO_TEST_CASE(typed_reply_to) {
  const std::pair<std::string, list::ReplyTo> rows[] = {
      {"list",   list::ReplyTo::list  },
      {"sender", list::ReplyTo::sender},
      {"none",   list::ReplyTo::none  },
      {"bogus",  list::ReplyTo::list  },
  };
  for (const auto& [stored, typed] : rows) {
    BOOST_TEST_CONTEXT(stored) {
      BOOST_TEST((list::typed_settings({
                                           {"reply_to", stored}
      })
                      .reply_to == typed));
    }
  }
}

BOOST_AUTO_TEST_CASE(typed_values_from_stored_ones) {
  const list::SettingMap stored{
      {"posting",            "announce"},
      {"require_signature",  "yes"     },
      {"require_encryption", "yes"     },
      {"keyless_members",    "skip"    },
      {"subscription",       "closed"  },
      {"deliver_self",       "no"      },
      {"subject_prefix",     "[Crew]"  },
      {"keep_message_id",    "yes"     },
      {"max_message_size",   "10240"   },
  };
  const list::ListSettings typed = list::typed_settings(stored);
  BOOST_TEST((typed.posting == list::Posting::announce));
  BOOST_TEST(typed.require_signature);
  BOOST_TEST(typed.require_encryption);
  BOOST_TEST((typed.keyless_members == list::KeylessMembers::skip));
  BOOST_TEST((typed.subscription == list::Subscription::closed));
  BOOST_TEST(!typed.deliver_self);
  BOOST_TEST(typed.subject_prefix == "[Crew]");
  BOOST_TEST(typed.keep_message_id);
  BOOST_TEST(typed.max_message_size == 10240u);

  const list::SettingMap other{
      {"posting",         "moderated"},
      {"keyless_members", "plaintext"},
      {"subscription",    "open"     }
  };
  const list::ListSettings typed_other = list::typed_settings(other);
  BOOST_TEST((typed_other.posting == list::Posting::moderated));
  BOOST_TEST((typed_other.keyless_members == list::KeylessMembers::plaintext));
  BOOST_TEST((typed_other.subscription == list::Subscription::open));
}

BOOST_AUTO_TEST_CASE(invalid_stored_values_fall_back_to_defaults) {
  const list::ListSettings typed = list::typed_settings({
      {"posting",          "bogus"},
      {"max_message_size", "lots" }
  });
  BOOST_TEST((typed.posting == list::Posting::members));
  BOOST_TEST(typed.max_message_size == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
