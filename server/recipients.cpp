#include <list/address.hpp>
#include <list/route.hpp>
#include <server/recipients.hpp>

namespace server {

smtp::RecipientVerdict ListRecipients::check(std::string_view address) {
  auto normal = list::normalise_address(address);
  if (!normal) {
    return smtp::RecipientVerdict::unknown;
  }
  // RFC 5321 4.5.1: postmaster must be accepted (at any of our domains).
  if (list::same_address(list::local_part(*normal), "postmaster")) {
    return smtp::RecipientVerdict::accept;
  }
  for (const list::Route& route : list::candidate_routes(list::fold_case(*normal))) {
    auto found = m_store.find_list(route.list_address);
    if (!found) {
      return smtp::RecipientVerdict::unavailable;
    }
    if (*found) {
      return smtp::RecipientVerdict::accept;
    }
  }
  return smtp::RecipientVerdict::unknown;
}

} // namespace server
