# Guichet, français. Les termes viennent de la page d'origine de l'éditeur.

skip-to-content = Aller au contenu
nav-label = Principal
nav-home = Accueil
nav-contact = Contacter l'assistance
nav-login = Se connecter
nav-logout = Se déconnecter
language-label = Langue :
footer-text = Portail d'assistance Guichet. Cherchez d'abord dans l'aide ; ouvrez une demande d'assistance lorsque vous avez besoin d'un spécialiste.

home-title = Accueil
home-greeting = Bonjour, { $name }
home-company = Vous êtes connecté pour { $company }.
home-contact-title = Contacter l'assistance
home-contact-text = Voyez si vous pouvez ouvrir une demande d'assistance ou appeler, par qui passer sinon, et votre numéro de téléphone d'assistance.
home-welcome = Bienvenue sur le portail d'assistance
home-intro = Connectez-vous pour savoir comment joindre l'assistance pour votre société.

login-title = Se connecter
login-email = Adresse e-mail
login-password = Mot de passe
login-submit = Se connecter
login-invalid = L'adresse e-mail ou le mot de passe est incorrect.
login-locked = Trop d'échecs de connexion : ce compte est verrouillé jusqu'à { $until }.
login-address-locked = Trop d'échecs de connexion depuis votre réseau : réessayez après { $until }.

error-title = Quelque chose ne va pas
error-home = Retour à l'accueil
error-not-found = Il n'y a rien à cette adresse.
error-internal = Une erreur s'est produite de notre côté. Elle a été consignée ; veuillez réessayer.
error-csrf = Ce formulaire avait expiré ou ne venait pas de ce site. Revenez en arrière, rechargez la page et réessayez.
error-language = Cette langue n'est pas disponible.

contact-title = Contacter l'assistance
contact-intro = Comment joindre l'assistance pour { $company }.
contact-partner-title = Votre partenaire d'abord
contact-partner-intro = Votre société a été mise en œuvre par { $partner }. Contactez d'abord votre partenaire ou revendeur à valeur ajoutée (VAR) pour obtenir de l'aide :
contact-may-open = Vous pouvez ouvrir une demande d'assistance
contact-may-not-open = Vous ne pouvez pas ouvrir de demande d'assistance
contact-no-designated = Votre société n'a pas encore d'utilisateur désigné de l'assistance. Demandez à votre administrateur d'en nommer un.
contact-go-through = Passez par l'un des utilisateurs désignés de l'assistance de votre société :
contact-open-for = Vous pouvez ouvrir des demandes d'assistance pour ces sociétés :
contact-one-problem = Limitez chaque demande à un problème spécifique. Si vous rencontrez plusieurs problèmes non liés, ouvrez une demande distincte pour chacun.
contact-phone-title = Appeler l'assistance
contact-phone-region = Ligne d'assistance pour { $region } :
contact-phone-advice = Bonne pratique : ouvrez la demande d'assistance en ligne avant d'appeler, afin que votre appel soit acheminé vers le spécialiste approprié.
contact-phone-not-allowed = Seules les personnes autorisées à ouvrir une demande d'assistance peuvent appeler l'assistance.
contact-account-manager-title = Votre gestionnaire de compte
contact-account-manager-intro = Pour des préoccupations générales relatives à votre compte ou des opportunités d'amélioration, contactez votre gestionnaire de compte plutôt que d'ouvrir une demande d'assistance.

reason-designated-user = Vous êtes un utilisateur désigné de l'assistance de votre société : vous pouvez ouvrir des demandes d'assistance et appeler l'assistance.
reason-active-user = Tout utilisateur actif de votre société peut ouvrir une demande d'assistance et appeler l'assistance.
reason-partner-user = En tant que partenaire, vous pouvez ouvrir des demandes d'assistance et appeler l'assistance pour les sociétés que vous avez mises en œuvre.
reason-designated-contact-required = Dans le pays de votre société, seuls les utilisateurs désignés de l'assistance peuvent ouvrir une demande d'assistance ou appeler l'assistance, et vous n'en faites pas partie.
reason-inactive-user = Votre compte est inactif : vous ne pouvez pas contacter l'assistance.
reason-partner-without-customers = Votre société partenaire n'a encore mis en œuvre aucun client : il n'y a aucune société pour laquelle ouvrir une demande.
reason-vendor-staff = Vous faites partie de l'équipe d'assistance : vous répondez aux demandes plutôt que de les ouvrir.

impact-outage = Le produit est inutilisable (interruption)
impact-blocked = Un processus métier ne peut pas être mené à bien (bloqué)
impact-degraded = Cela fonctionne avec difficulté ou avec une solution de contournement (dégradé)
impact-question = Une question pratique ou une demande d'information
scope-organization = toute l'organisation
scope-group = un groupe d'utilisateurs
scope-individual = une seule personne
environment-production = production
environment-sandbox = bac à sable (sandbox)
environment-implementation = mise en œuvre
priority-reason-impact = { $impact }, pour { $scope } : { $priority } en production.
priority-reason-lowered-one = Un niveau plus bas parce que le problème touche l'environnement « { $environment } », pas la production.
priority-reason-lowered = { $steps } niveaux plus bas parce que le problème touche l'environnement « { $environment } », pas la production.
priority-reason-capped = Jamais plus urgent que { $ceiling } hors production (« { $environment } »).
