// The RCPT TO check for SMTP intake: a recipient is accepted when it is one of
// a list's addresses, or postmaster; anything else is unknown (550 5.1.1).
#pragma once

#include <list/store.hpp>
#include <smtp/sink.hpp>

namespace server {

class ListRecipients : public smtp::RecipientCheck {
public:
  explicit ListRecipients(list::Store& store) : m_store(store) {}
  smtp::RecipientVerdict check(std::string_view address) override;

private:
  list::Store& m_store;
};

} // namespace server
