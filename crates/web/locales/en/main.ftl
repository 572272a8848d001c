# Guichet, English.

skip-to-content = Skip to content
nav-label = Main
nav-home = Home
nav-contact = Contact support
nav-login = Sign in
nav-logout = Sign out
language-label = Language:
footer-text = Guichet support portal. Search the help first; open a case when you need a specialist.

home-title = Home
home-greeting = Hello, { $name }
home-company = You are signed in for { $company }.
home-contact-title = Contact support
home-contact-text = See whether you may open a support case or call, who to go through if not, and your support phone number.
home-welcome = Welcome to the support portal
home-intro = Sign in to see how you can reach support for your company.

login-title = Sign in
login-email = Email address
login-password = Password
login-submit = Sign in
login-invalid = The email address or the password is wrong.
login-locked = Too many failed sign-ins: this account is locked until { $until }.
login-address-locked = Too many failed sign-ins from your network: try again after { $until }.

error-title = Something is not right
error-home = Back to the home page
error-not-found = There is nothing at this address.
error-internal = Something went wrong on our side. It has been logged; please try again.
error-csrf = This form had expired or did not come from this site. Go back, reload the page and try again.
error-language = That language is not available.

contact-title = Contact support
contact-intro = How you can reach support for { $company }.
contact-partner-title = Your partner first
contact-partner-intro = Your company was implemented by { $partner }. Contact your partner first for help:
contact-may-open = You may open a support case
contact-may-not-open = You may not open a support case
contact-no-designated = Your company has no designated support user yet. Ask your administrator to name one.
contact-go-through = Go through one of your company's designated support users:
contact-open-for = You may open cases for these companies:
contact-one-problem = Keep each case to one specific problem. If you have several unrelated problems, open one case for each.
contact-phone-title = Call support
contact-phone-region = Support line for { $region }:
contact-phone-advice = Best practice: open the case online before you call, so that your call is routed to the right specialist.
contact-phone-not-allowed = Only the people who may open a case may call support.
contact-account-manager-title = Your account manager
contact-account-manager-intro = For general account concerns and improvement ideas, contact your account manager rather than opening a case.

reason-designated-user = You are a designated support user of your company, so you may open cases and call support.
reason-active-user = Every active user of your company may open cases and call support.
reason-partner-user = As a partner, you may open cases and call support for the companies you implemented.
reason-designated-contact-required = In your company's country, only designated support users may open cases or call support, and you are not one.
reason-inactive-user = Your account is inactive, so you may not contact support.
reason-partner-without-customers = Your partner company has not implemented any customer yet, so there is no company to open a case for.
reason-vendor-staff = You are a member of the support staff: you answer cases rather than open them.

impact-outage = The product cannot be used (outage)
impact-blocked = A business process cannot be completed (blocked)
impact-degraded = It works with difficulty or with a workaround (degraded)
impact-question = A how-to or information question
scope-organization = the whole organization
scope-group = a group of users
scope-individual = one person
environment-production = production
environment-sandbox = sandbox
environment-implementation = implementation
priority-reason-impact = { $impact }, for { $scope }: { $priority } in production.
priority-reason-lowered-one = One level lower because the problem is in the { $environment } environment, not in production.
priority-reason-lowered = { $steps } levels lower because the problem is in the { $environment } environment, not in production.
priority-reason-capped = Never more urgent than { $ceiling } outside production ({ $environment }).
